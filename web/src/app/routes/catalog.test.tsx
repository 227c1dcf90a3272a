import { screen, waitFor } from "@testing-library/preact";
import userEvent from "@testing-library/user-event";
import { beforeEach, describe, expect, it } from "vitest";
import { clearQueryCache } from "@/lib/use-query";
import { json, mockFetch } from "@/testing/fetch-mock";
import { renderAt } from "@/testing/render";
import { useTestApi } from "@/testing/services";
import type { Book } from "@/types/api";
import { CatalogPage } from "./catalog";

const book = (id: string, title: string, category = "Science Fiction"): Book => ({
  id,
  title,
  author: "Someone",
  category,
  price: "9.99",
  rating: 4.2,
  cover: `/covers/${id}.svg`,
  description: "",
});

describe("CatalogPage", () => {
  beforeEach(() => {
    useTestApi();
    clearQueryCache();
  });

  function api(pages: Record<string, { items: Book[]; nextCursor: string | null }>) {
    return mockFetch((call) => {
      const url = new URL(call.url, "http://x");
      if (url.pathname === "/api/categories") return json(200, { items: [{ name: "Science Fiction", count: 3 }, { name: "Poetry", count: 1 }] });
      const key = `${url.searchParams.get("category") ?? ""}|${url.searchParams.get("q") ?? ""}|${url.searchParams.get("cursor") ?? ""}`;
      return json(200, pages[key] ?? { items: [], nextCursor: null }, { "X-Bookstore-Region": "eu-west-1" });
    });
  }

  it("shows a category's books and loads more with the cursor", async () => {
    const { calls } = api({
      "Science Fiction||": { items: [book("dune", "Dune"), book("hyperion", "Hyperion")], nextCursor: "c2" },
      "Science Fiction||c2": { items: [book("foundation", "Foundation")], nextCursor: null },
    });
    renderAt("/books?category=Science%20Fiction", <CatalogPage />);
    expect(await screen.findByRole("heading", { level: 1, name: "Science Fiction" })).toBeInTheDocument();
    expect(await screen.findAllByTestId("book-card")).toHaveLength(2);
    expect(screen.getByRole("link", { name: /Science Fiction/ })).toHaveAttribute("aria-current", "page");
    await userEvent.click(screen.getByRole("button", { name: "Show more books" }));
    await waitFor(() => expect(screen.getAllByTestId("book-card")).toHaveLength(3));
    expect(calls.some((c) => c.url.includes("cursor=c2"))).toBe(true);
    expect(screen.queryByRole("button", { name: "Show more books" })).toBeNull();
  });

  it("searches within the category and shows an empty state", async () => {
    api({ "Science Fiction||": { items: [book("dune", "Dune")], nextCursor: null } });
    renderAt("/books?category=Science%20Fiction", <CatalogPage />);
    await screen.findAllByTestId("book-card");
    await userEvent.type(screen.getByRole("searchbox", { name: "Search in Science Fiction" }), "zzz{Enter}");
    expect(await screen.findByText("No books match “zzz”.")).toBeInTheDocument();
    expect(window.location.search).toBe("?category=Science+Fiction&q=zzz");
  });

  it("offers a retry when the API fails", async () => {
    mockFetch(() => json(500, { error: { code: "internal", message: "Boom." } }));
    renderAt("/books", <CatalogPage />);
    expect(await screen.findByText("Boom.")).toBeInTheDocument();
    expect(screen.getByRole("button", { name: "Try again" })).toBeInTheDocument();
  });
});
