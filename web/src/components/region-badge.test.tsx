import { act, render, screen } from "@testing-library/preact";
import { describe, expect, it } from "vitest";
import { apiReachable, pinnedRegion, servedBy } from "@/lib/status";
import { RegionBadge } from "./region-badge";

describe("RegionBadge", () => {
  it("shows the region of the last response and flags a change", async () => {
    servedBy.value = "eu-west-1";
    render(<RegionBadge />);
    const badge = screen.getByTestId("region-badge");
    expect(badge).toHaveTextContent("Served by region eu-west-1");
    expect(badge).not.toHaveClass("region-badge-changed");

    await act(() => {
      servedBy.value = "ap-southeast-1";
    });
    expect(badge).toHaveAttribute("data-region", "ap-southeast-1");
    expect(badge).toHaveClass("region-badge-changed");
  });

  it("tells a region's own endpoint from the routed one", async () => {
    servedBy.value = "eu-west-1";
    pinnedRegion.value = null;
    render(<RegionBadge />);
    const badge = screen.getByTestId("region-badge");
    expect(badge).toHaveAttribute("data-endpoint", "routed");
    await act(() => {
      pinnedRegion.value = "ap-southeast-1";
      servedBy.value = "ap-southeast-1";
    });
    expect(badge).toHaveAttribute("data-endpoint", "regional");
    expect(badge).toHaveAttribute("title", expect.stringContaining("ap-southeast-1's own endpoint"));
  });

  it("says when no region has answered", async () => {
    apiReachable.value = false;
    render(<RegionBadge />);
    expect(screen.getByTestId("region-badge")).toHaveTextContent("no region");
  });
});
