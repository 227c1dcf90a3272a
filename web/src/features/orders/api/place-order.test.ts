import { beforeEach, describe, expect, it, vi } from "vitest";
import { json, mockFetch } from "@/testing/fetch-mock";
import { useTestApi } from "@/testing/services";
import { placeOrderWithRetry } from "./place-order";

const LINES = [{ bookId: "dune", quantity: 1 }];
const order = { orderId: "o-1", createdAt: "2026-11-28T10:00:00Z", items: [], total: "9.99", region: "ap-southeast-1" };

describe("placeOrderWithRetry", () => {
  beforeEach(() => useTestApi());

  it("retries through a failover with the same Idempotency-Key", async () => {
    let n = 0;
    const { calls } = mockFetch(() => {
      n++;
      if (n === 1) return Promise.reject(new TypeError("Failed to fetch"));
      if (n === 2) return new Response("bad gateway", { status: 502 });
      return json(200, order, { "X-Bookstore-Region": "ap-southeast-1" });
    });
    const onRetry = vi.fn();
    await expect(placeOrderWithRetry("key-1", LINES, { delaysMs: [0, 0, 0], onRetry })).resolves.toEqual(order);
    expect(calls.map((c) => c.headers["idempotency-key"])).toEqual(["key-1", "key-1", "key-1"]);
    expect(calls.every((c) => c.method === "POST" && c.url === "/api/orders")).toBe(true);
    expect(calls.map((c) => c.body)).toEqual([{ lines: LINES }, { lines: LINES }, { lines: LINES }]);
    expect(onRetry).toHaveBeenCalledTimes(2);
  });

  it("does not retry a 409", async () => {
    const { calls } = mockFetch(() => json(409, { error: { code: "empty_cart", message: "Your cart is empty." } }));
    await expect(placeOrderWithRetry("key-1", LINES, { delaysMs: [0, 0] })).rejects.toMatchObject({ status: 409 });
    expect(calls).toHaveLength(1);
  });

  it("says a refusal after an unanswered attempt may hide a placed order", async () => {
    let n = 0;
    mockFetch(() => {
      n++;
      if (n === 1) return Promise.reject(new TypeError("Failed to fetch"));
      return json(409, { error: { code: "CART_CHANGED", message: "The cart changed." } });
    });
    await expect(placeOrderWithRetry("key-1", LINES, { delaysMs: [0, 0] })).rejects.toMatchObject({ status: 409, afterUnanswered: true });
  });

  it("gives up after the last delay", async () => {
    const { calls } = mockFetch(() => Promise.reject(new TypeError("Failed to fetch")));
    await expect(placeOrderWithRetry("key-1", LINES, { delaysMs: [0, 0] })).rejects.toThrow("cannot be reached");
    expect(calls).toHaveLength(3);
  });
});
