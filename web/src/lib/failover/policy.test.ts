import { describe, expect, it } from "vitest";
import { failoverPolicy, isSafeToRepeat } from "./policy";

describe("failover policy", () => {
  it("waits longer than a cold start before it gives up on a region", () => {
    // The API's cold start (whole process, p99 of the bench) stays well under 1.5 s.
    expect(failoverPolicy.firstTimeoutMs).toBeGreaterThanOrEqual(1500);
    expect(failoverPolicy.lastTimeoutMs).toBeGreaterThan(failoverPolicy.firstTimeoutMs);
    expect(failoverPolicy.failoverStatuses).toEqual([502, 503, 504]);
  });

  it("repeats GETs and cart-line changes, never an order", () => {
    expect(isSafeToRepeat("GET", "/books?q=dune")).toBe(true);
    expect(isSafeToRepeat("PUT", "/cart/dune%201")).toBe(true);
    expect(isSafeToRepeat("delete", "/cart/dune")).toBe(true);
    expect(isSafeToRepeat("PUT", "/cart")).toBe(false);
    expect(isSafeToRepeat("PUT", "/cart/")).toBe(false);
    expect(isSafeToRepeat("PUT", "/cart/a/b")).toBe(false);
    expect(isSafeToRepeat("POST", "/orders")).toBe(false);
  });
});
