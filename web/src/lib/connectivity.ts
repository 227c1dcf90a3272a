import { apiReachable, reconnects } from "./status";

export type ConnectivityMonitor = {
  report(reachable: boolean): void;
  retryNow(): void;
  stop(): void;
};

/**
 * Keeps `apiReachable` honest: after a failed request it probes the API on a backoff schedule
 * and, once a probe succeeds, bumps `reconnects` so pages showing an error load again.
 */
export function createConnectivityMonitor(
  probe: () => Promise<boolean>,
  delaysMs: number[] = [1000, 2000, 3000, 5000, 8000],
): ConnectivityMonitor {
  let timer: ReturnType<typeof setTimeout> | undefined;
  let attempt = 0;
  let probing = false;

  const recovered = () => {
    clearTimeout(timer);
    timer = undefined;
    attempt = 0;
    if (!apiReachable.value) {
      apiReachable.value = true;
      reconnects.value++;
    }
  };

  const schedule = () => {
    clearTimeout(timer);
    const delay = delaysMs[Math.min(attempt, delaysMs.length - 1)];
    attempt++;
    timer = setTimeout(runProbe, delay);
  };

  async function runProbe() {
    if (probing) return;
    probing = true;
    let ok = false;
    try {
      ok = await probe();
    } catch {
      ok = false;
    }
    probing = false;
    if (ok) recovered();
    else if (!apiReachable.value) schedule();
  }

  const onOnline = () => monitor.retryNow();
  if (typeof window !== "undefined") window.addEventListener("online", onOnline);

  const monitor: ConnectivityMonitor = {
    report(reachable) {
      if (reachable) return recovered();
      if (apiReachable.value) {
        apiReachable.value = false;
        attempt = 0;
        schedule();
      }
    },
    retryNow() {
      if (apiReachable.value) return;
      clearTimeout(timer);
      void runProbe();
    },
    stop() {
      clearTimeout(timer);
      if (typeof window !== "undefined") window.removeEventListener("online", onOnline);
    },
  };
  return monitor;
}
