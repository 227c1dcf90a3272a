import { act, render, screen } from "@testing-library/preact";
import userEvent from "@testing-library/user-event";
import { describe, expect, it, vi } from "vitest";
import { apiReachable } from "@/lib/status";
import { OfflineBanner } from "./offline-banner";

describe("OfflineBanner", () => {
  it("appears while the API is unreachable and offers an immediate retry", async () => {
    const retry = vi.fn();
    render(<OfflineBanner onRetry={retry} />);
    expect(screen.queryByRole("alert")).toBeNull();

    await act(() => {
      apiReachable.value = false;
    });
    expect(screen.getByRole("alert")).toHaveTextContent("can't be reached");
    await userEvent.click(screen.getByRole("button", { name: "Retry now" }));
    expect(retry).toHaveBeenCalled();

    await act(() => {
      apiReachable.value = true;
    });
    expect(screen.queryByRole("alert")).toBeNull();
  });
});
