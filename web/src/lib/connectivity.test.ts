import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { createConnectivityMonitor } from "./connectivity";
import { apiReachable, reconnects } from "./status";

describe("connectivity monitor", () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it("probes on a backoff until the API answers, then announces the reconnect", async () => {
    const probe = vi.fn().mockResolvedValueOnce(false).mockResolvedValueOnce(true);
    const monitor = createConnectivityMonitor(probe, [100, 200]);
    monitor.report(false);
    expect(apiReachable.value).toBe(false);
    await vi.advanceTimersByTimeAsync(100);
    expect(probe).toHaveBeenCalledTimes(1);
    expect(apiReachable.value).toBe(false);
    await vi.advanceTimersByTimeAsync(200);
    expect(probe).toHaveBeenCalledTimes(2);
    expect(apiReachable.value).toBe(true);
    expect(reconnects.value).toBe(1);
    monitor.stop();
  });

  it("recovers at once when any request succeeds", () => {
    const monitor = createConnectivityMonitor(vi.fn(), [1000]);
    monitor.report(false);
    monitor.report(true);
    expect(apiReachable.value).toBe(true);
    expect(reconnects.value).toBe(1);
    monitor.stop();
  });

  it("retries now on demand", async () => {
    const probe = vi.fn().mockResolvedValue(true);
    const monitor = createConnectivityMonitor(probe, [60_000]);
    monitor.report(false);
    monitor.retryNow();
    await vi.advanceTimersByTimeAsync(0);
    expect(apiReachable.value).toBe(true);
    monitor.stop();
  });
});
