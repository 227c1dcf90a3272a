import { act, render, screen, waitFor } from "@testing-library/preact";
import { describe, expect, it } from "vitest";
import type { Page } from "@/types/api";
import { useMorePages } from "./use-more-pages";

function List({ first, fetchPage, resetKey }: { first: Page<string>; fetchPage: (c: string) => Promise<Page<string>>; resetKey: string }) {
  const pages = useMorePages(first, fetchPage, resetKey);
  return (
    <>
      <p data-testid="items">{pages.items.join(",")}</p>
      <p data-testid="cursor">{pages.cursor ?? "end"}</p>
      <button type="button" onClick={pages.loadMore}>
        more
      </button>
    </>
  );
}

describe("useMorePages", () => {
  it("drops a page that arrives after the list was reset", async () => {
    let answer: (page: Page<string>) => void = () => {};
    const slow = () => new Promise<Page<string>>((resolve) => (answer = resolve));
    const { rerender } = render(<List first={{ items: ["a"], nextCursor: "c1" }} fetchPage={slow} resetKey="sf" />);
    await act(() => screen.getByRole("button").click());
    // Another category while the old list's next page is on its way.
    rerender(<List first={{ items: ["p"], nextCursor: "p1" }} fetchPage={slow} resetKey="poetry" />);
    await act(async () => answer({ items: ["b"], nextCursor: null }));
    expect(screen.getByTestId("items")).toHaveTextContent(/^p$/);
    expect(screen.getByTestId("cursor")).toHaveTextContent("p1");
  });

  it("appends pages in order and ends at the last cursor", async () => {
    const pages: Record<string, Page<string>> = { c1: { items: ["b"], nextCursor: "c2" }, c2: { items: ["c"], nextCursor: null } };
    render(<List first={{ items: ["a"], nextCursor: "c1" }} fetchPage={async (c) => pages[c]} resetKey="" />);
    await act(() => screen.getByRole("button").click());
    await waitFor(() => expect(screen.getByTestId("items")).toHaveTextContent("a,b"));
    await act(() => screen.getByRole("button").click());
    await waitFor(() => expect(screen.getByTestId("items")).toHaveTextContent("a,b,c"));
    expect(screen.getByTestId("cursor")).toHaveTextContent("end");
  });
});
