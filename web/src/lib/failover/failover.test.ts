import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { json, mockFetch, type Call } from "@/testing/fetch-mock";
import { createApiClient } from "../api-client";
import { NetworkError } from "../errors";
import type { FailoverPolicy } from "./policy";
import { createRegionRoute } from "./route";

// Two regions behind one routed endpoint, as the sandbox's front door and Route 53 have them.
const ROUTED = "https://api.example.com";
const REGIONAL = { "eu-west-1": "https://api-eu-west-1.example.com", "ap-southeast-1": "https://api-ap-southeast-1.example.com" };
const policy: FailoverPolicy = {
  firstTimeoutMs: 2000,
  lastTimeoutMs: 10_000,
  failoverStatuses: [502, 503, 504],
  safeToRepeat: [
    { method: "GET", path: "*" },
    { method: "PUT", path: "/cart/{bookId}" },
    { method: "DELETE", path: "/cart/{bookId}" },
    { method: "POST", path: "/orders", requires: ["header:Idempotency-Key", "body:lines"] },
  ],
  avoidFailedRegionMs: 60_000,
  healthPath: "/health",
};

const served = (region: string, status = 200, body: unknown = { ok: true }) => json(status, body, { "X-Bookstore-Region": region });
const hang = (call: Call) =>
  new Promise<Response>((_resolve, reject) => {
    call.signal?.addEventListener("abort", () => reject(new DOMException("aborted", "AbortError")));
  });

/** A page load: a new client over the tab's sessionStorage, as startServices builds it. */
function pageLoad(onRegion = vi.fn()) {
  const route = createRegionRoute({ storage: sessionStorage, policy });
  const client = createApiClient({
    baseUrl: ROUTED,
    regionalApis: REGIONAL,
    route,
    policy,
    fetchFn: (input, init) => fetch(input, init),
    getToken: async () => "token",
    onRegion,
  });
  return { client, route, onRegion };
}

/**
 * The world: which region the routed endpoint sends to, and how each region behaves.
 * "hang" = a frozen region (no answer at all), "refuse" = no connection, or a status code.
 */
function world(routesTo: string, behaviour: Record<string, "ok" | "hang" | "refuse" | number>) {
  const region = (url: string) =>
    url.startsWith(ROUTED) ? routesTo : Object.entries(REGIONAL).find(([, base]) => url.startsWith(base))![0];
  return mockFetch((call) => {
    const name = region(call.url);
    const how = behaviour[name] ?? "ok";
    if (how === "hang") return hang(call);
    if (how === "refuse") return Promise.reject(new TypeError("Failed to fetch"));
    if (typeof how === "number") return served(name, how, { message: "Service Unavailable" });
    return served(name);
  });
}

describe("client failover", () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it("moves a GET to the other region's own endpoint when the first gives no answer in time", async () => {
    world("eu-west-1", {});
    const { client, route, onRegion } = pageLoad();
    await client.get("/health");
    const { calls } = world("eu-west-1", { "eu-west-1": "hang" });
    const result = client.get("/books");
    await vi.advanceTimersByTimeAsync(1999);
    expect(calls).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(1);
    await expect(result).resolves.toEqual({ ok: true });
    expect(calls.map((c) => c.url)).toEqual([`${ROUTED}/books`, `${REGIONAL["ap-southeast-1"]}/books`]);
    expect(onRegion).toHaveBeenLastCalledWith("ap-southeast-1");
    expect(route.state().pinned).toBe("ap-southeast-1");
  });

  it("moves a cart-line PUT on a network error, and a DELETE on a 503", async () => {
    const { client, route } = pageLoad();
    // The page started before the fault: the routed endpoint has answered from eu-west-1.
    world("eu-west-1", {});
    await client.get("/health");
    const { calls } = world("eu-west-1", { "eu-west-1": "refuse" });
    // Now eu-west-1 refuses connections: the PUT goes to ap-southeast-1 by itself.
    await expect(client.request("/cart/dune", { method: "PUT", auth: true, body: { quantity: 1 } })).resolves.toEqual({ ok: true });
    expect(calls.map((c) => [c.method, c.url])).toEqual([
      ["PUT", `${ROUTED}/cart/dune`],
      ["PUT", `${REGIONAL["ap-southeast-1"]}/cart/dune`],
    ]);
    expect(calls[1].body).toEqual({ quantity: 1 });
    expect(calls[1].headers.authorization).toBe("Bearer token");

    route.pin(null);
    world("eu-west-1", { "eu-west-1": 503 });
    await expect(client.request("/cart/dune", { method: "DELETE", auth: true })).resolves.toEqual({ ok: true });
    expect(route.state().pinned).toBe("ap-southeast-1");
  });

  it("stays on the region that answered, for every later request", async () => {
    world("eu-west-1", {});
    const { client } = pageLoad();
    await client.get("/health");
    const { calls } = world("eu-west-1", { "eu-west-1": "refuse" });
    await client.get("/books");
    // The failed region is back, but the client does not flap to it mid-page.
    const { calls: later } = world("eu-west-1", {});
    await client.get("/books/dune");
    await client.request("/cart/dune", { method: "PUT", auth: true, body: { quantity: 2 } });
    expect(calls).toHaveLength(2);
    expect(later.map((c) => c.url)).toEqual([`${REGIONAL["ap-southeast-1"]}/books/dune`, `${REGIONAL["ap-southeast-1"]}/cart/dune`]);
    // ... and a page load keeps it there too (the routed endpoint is asked only by returnToRouted).
    const { client: next } = pageLoad();
    await next.get("/books");
    expect(later.at(-1)!.url).toBe(`${REGIONAL["ap-southeast-1"]}/books`);
  });

  it("never repeats POST /orders on the other region without the chosen lines", async () => {
    const { calls } = world("eu-west-1", { "eu-west-1": 503 });
    const { client, route } = pageLoad();
    await expect(client.request("/orders", { method: "POST", auth: true, headers: { "Idempotency-Key": "k1" } })).rejects.toBeInstanceOf(
      NetworkError,
    );
    expect(calls.map((c) => c.url)).toEqual([`${ROUTED}/orders`]);
    expect(route.state().pinned).toBeNull();
  });

  it("repeats POST /orders with its key and lines on the other region, and stays there", async () => {
    world("eu-west-1", {});
    const { client, route } = pageLoad();
    await client.get("/health");
    const { calls } = world("eu-west-1", { "eu-west-1": "hang" });
    const lines = [{ bookId: "dune", quantity: 2 }];
    const placed = client.request("/orders", { method: "POST", auth: true, headers: { "Idempotency-Key": "k1" }, body: { lines } });
    await vi.advanceTimersByTimeAsync(policy.firstTimeoutMs);
    await expect(placed).resolves.toEqual({ ok: true });
    expect(calls.map((c) => c.url)).toEqual([`${ROUTED}/orders`, `${REGIONAL["ap-southeast-1"]}/orders`]);
    expect(calls.map((c) => c.headers["idempotency-key"])).toEqual(["k1", "k1"]);
    expect(calls.map((c) => c.body)).toEqual([{ lines }, { lines }]);
    expect(route.state().pinned).toBe("ap-southeast-1");
  });

  it("marks a refusal that follows an unanswered attempt, so the shopper is told the order may exist", async () => {
    world("eu-west-1", { "eu-west-1": "refuse", "ap-southeast-1": 409 });
    const { client } = pageLoad();
    const body = { lines: [{ bookId: "dune", quantity: 2 }] };
    const refused = client.request("/orders", { method: "POST", auth: true, headers: { "Idempotency-Key": "k1" }, body });
    await expect(refused).rejects.toMatchObject({ status: 409, afterUnanswered: true });
  });

  it("waits for POST /orders as long as it takes: no first timeout", async () => {
    let answer: (r: Response) => void = () => undefined;
    const { calls } = mockFetch(() => new Promise<Response>((resolve) => (answer = resolve)));
    const { client } = pageLoad();
    const placed = client.request("/orders", { method: "POST", auth: true });
    await vi.advanceTimersByTimeAsync(30_000);
    answer(served("eu-west-1", 201, { orderId: "o1" }));
    await expect(placed).resolves.toEqual({ orderId: "o1" });
    expect(calls).toHaveLength(1);
  });

  it("sends POST /orders to the region the client moved to", async () => {
    const { calls } = world("eu-west-1", { "eu-west-1": "refuse" });
    const { client } = pageLoad();
    await client.get("/cart");
    await client.request("/orders", { method: "POST", auth: true });
    expect(calls.at(-1)!.url).toBe(`${REGIONAL["ap-southeast-1"]}/orders`);
  });

  it("tries every region's own endpoint when it cannot tell which region failed", async () => {
    const { calls } = world("eu-west-1", { "eu-west-1": "refuse" });
    const { client, route } = pageLoad();
    await expect(client.get("/books")).resolves.toEqual({ ok: true });
    expect(calls).toHaveLength(3);
    expect(route.state().pinned).toBe("ap-southeast-1");
  });

  it("blames a failure on the region the tab last saw, even on a fresh page", async () => {
    const { calls } = world("eu-west-1", { "eu-west-1": "refuse" });
    const client = createApiClient({ baseUrl: ROUTED, regionalApis: REGIONAL, policy, lastRegion: "eu-west-1", fetchFn: (i, init) => fetch(i, init) });
    await client.get("/books");
    expect(calls.map((c) => c.url)).toEqual([`${ROUTED}/books`, `${REGIONAL["ap-southeast-1"]}/books`]);
  });

  it("reports no region when both fail", async () => {
    const { calls } = world("eu-west-1", { "eu-west-1": "refuse", "ap-southeast-1": 503 });
    const onReachability = vi.fn();
    const client = createApiClient({ baseUrl: ROUTED, regionalApis: REGIONAL, policy, onReachability, fetchFn: (i, init) => fetch(i, init) });
    await expect(client.get("/books")).rejects.toBeInstanceOf(NetworkError);
    expect(onReachability).toHaveBeenLastCalledWith(false);
    expect(calls.length).toBeGreaterThanOrEqual(2);
  });

  it("goes back to the routed endpoint on a later page load once it answers healthy", async () => {
    world("eu-west-1", { "eu-west-1": "refuse" });
    await pageLoad().client.get("/books");
    // The routed endpoint now sends to the survivor (the router has switched): healthy.
    const { calls } = world("ap-southeast-1", { "eu-west-1": "refuse" });
    const { client, route } = pageLoad();
    await expect(client.returnToRouted(() => false)).resolves.toBe(true);
    expect(calls.map((c) => c.url)).toEqual([`${ROUTED}/health`]);
    expect(route.state().pinned).toBeNull();
    await client.get("/books");
    expect(calls.at(-1)!.url).toBe(`${ROUTED}/books`);
  });

  it("does not go back while the routed endpoint still answers from the region that failed, until that is forgiven", async () => {
    world("eu-west-1", { "eu-west-1": "refuse" });
    await pageLoad().client.get("/books");
    world("eu-west-1", {});
    await expect(pageLoad().client.returnToRouted(() => false)).resolves.toBe(false);
    await vi.advanceTimersByTimeAsync(policy.avoidFailedRegionMs);
    const { client, route } = pageLoad();
    await expect(client.returnToRouted(() => false)).resolves.toBe(true);
    expect(route.state().pinned).toBeNull();
  });

  it("does not go back while the routed endpoint is unhealthy or silent", async () => {
    world("eu-west-1", { "eu-west-1": "refuse" });
    await pageLoad().client.get("/books");
    await vi.advanceTimersByTimeAsync(policy.avoidFailedRegionMs);
    world("eu-west-1", { "eu-west-1": 503 });
    await expect(pageLoad().client.returnToRouted(() => false)).resolves.toBe(false);
    world("eu-west-1", { "eu-west-1": "hang" });
    const { client, route } = pageLoad();
    const back = client.returnToRouted(() => false);
    await vi.advanceTimersByTimeAsync(policy.firstTimeoutMs);
    await expect(back).resolves.toBe(false);
    expect(route.state().pinned).toBe("ap-southeast-1");
  });

  it("never goes back in the middle of a checkout", async () => {
    world("eu-west-1", { "eu-west-1": "refuse" });
    await pageLoad().client.get("/cart");
    const { calls } = world("ap-southeast-1", {});
    const { client, route } = pageLoad();
    await expect(client.returnToRouted(() => true)).resolves.toBe(false);
    expect(calls).toHaveLength(0);
    // A checkout that starts while the health check is in flight keeps its region too.
    let checkingOut = false;
    mockFetch(() => {
      checkingOut = true;
      return served("ap-southeast-1");
    });
    await expect(client.returnToRouted(() => checkingOut)).resolves.toBe(false);
    expect(route.state().pinned).toBe("ap-southeast-1");
  });
});

describe("client failover without regional endpoints", () => {
  it("behaves as before: one endpoint, the error shown", async () => {
    const { calls } = mockFetch(() => json(503, { message: "Service Unavailable" }));
    const client = createApiClient({ baseUrl: ROUTED, fetchFn: (i, init) => fetch(i, init) });
    await expect(client.get("/books")).rejects.toBeInstanceOf(NetworkError);
    expect(calls).toHaveLength(1);
  });
});
