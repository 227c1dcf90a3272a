import { screen, waitFor } from "@testing-library/preact";
import userEvent from "@testing-library/user-event";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { session } from "@/lib/session";
import { clearQueryCache } from "@/lib/use-query";
import { json, mockFetch } from "@/testing/fetch-mock";
import { renderAt } from "@/testing/render";
import { useTestApi } from "@/testing/services";
import type { Order } from "@/types/api";
import { OrdersPage } from "./orders";

const order = (id: string, day: number): Order => ({
  orderId: id,
  createdAt: `2026-11-${String(day).padStart(2, "0")}T10:00:00.000Z`,
  items: [{ bookId: "dune", title: "Dune", price: "14.99", quantity: 1 }],
  total: "14.99",
  region: "eu-west-1",
});

describe("OrdersPage", () => {
  beforeEach(() => {
    useTestApi();
    session.value = { email: "a@b.c", sub: "user-1" };
    clearQueryCache();
  });
  afterEach(() => {
    session.value = null;
  });

  it("lists the newest page first and loads older orders with the cursor", async () => {
    const { calls } = mockFetch((call) => {
      const url = new URL(call.url, "http://x");
      if (url.searchParams.get("cursor") === "c2") return json(200, { items: [order("o-1", 1)], nextCursor: null });
      return json(200, { items: [order("o-3", 3), order("o-2", 2)], nextCursor: "c2" });
    });
    renderAt("/orders", <OrdersPage />);
    expect(await screen.findAllByTestId("order-card")).toHaveLength(2);
    await userEvent.click(screen.getByRole("button", { name: "Show older orders" }));
    await waitFor(() => expect(screen.getAllByTestId("order-card")).toHaveLength(3));
    expect(screen.getAllByTestId("order-card").map((card) => card.dataset.orderId)).toEqual(["o-3", "o-2", "o-1"]);
    expect(screen.queryByRole("button", { name: "Show older orders" })).toBeNull();
    const urls = calls.map((c) => new URL(c.url, "http://x"));
    expect(urls.map((u) => u.pathname)).toEqual(["/api/orders", "/api/orders"]);
    expect(urls[0].searchParams.get("limit")).toBe("20");
    expect(urls[0].searchParams.has("cursor")).toBe(false);
    expect(urls[1].searchParams.get("cursor")).toBe("c2");
    expect(calls.every((c) => c.headers.authorization?.startsWith("Bearer "))).toBe(true);
  });

  it("keeps the orders shown and says so when loading older ones fails", async () => {
    mockFetch((call) => {
      const url = new URL(call.url, "http://x");
      if (url.searchParams.get("cursor")) return json(400, { error: { code: "INVALID_INPUT", message: "cursor is not valid for this query", field: "cursor" } });
      return json(200, { items: [order("o-2", 2)], nextCursor: "stale" });
    });
    renderAt("/orders", <OrdersPage />);
    await userEvent.click(await screen.findByRole("button", { name: "Show older orders" }));
    expect(await screen.findByRole("alert")).toHaveTextContent("cursor is not valid");
    expect(screen.getAllByTestId("order-card")).toHaveLength(1);
  });
});
