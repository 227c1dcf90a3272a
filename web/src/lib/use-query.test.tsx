import { act, render, screen } from "@testing-library/preact";
import { describe, expect, it, vi } from "vitest";
import { NetworkError } from "./errors";
import { reconnects } from "./status";
import { clearQueryCache, useQuery } from "./use-query";

function Probe({ load }: { load: () => Promise<string> }) {
  const q = useQuery("probe", load);
  return <p>{q.loading ? "loading" : q.error ? "error" : q.data}</p>;
}

describe("useQuery", () => {
  it("loads again by itself when the API comes back after a network failure", async () => {
    clearQueryCache();
    const load = vi.fn().mockRejectedValueOnce(new NetworkError()).mockResolvedValueOnce("books");
    render(<Probe load={load} />);
    expect(await screen.findByText("error")).toBeInTheDocument();
    await act(() => {
      reconnects.value++;
    });
    expect(await screen.findByText("books")).toBeInTheDocument();
    expect(load).toHaveBeenCalledTimes(2);
  });

  it("does not reload on reconnect after a non-network error", async () => {
    clearQueryCache();
    const load = vi.fn().mockRejectedValue(new Error("bad"));
    render(<Probe load={load} />);
    expect(await screen.findByText("error")).toBeInTheDocument();
    await act(() => {
      reconnects.value++;
    });
    expect(load).toHaveBeenCalledTimes(1);
  });
});
