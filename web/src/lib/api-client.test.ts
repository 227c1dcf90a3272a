import { describe, expect, it, vi } from "vitest";
import { json, mockFetch } from "@/testing/fetch-mock";
import { createApiClient, query } from "./api-client";
import { ApiError, NetworkError } from "./errors";

const client = (extra: Partial<Parameters<typeof createApiClient>[0]> = {}) =>
  createApiClient({ baseUrl: "https://api.example.com", fetchFn: (i, init) => fetch(i, init), ...extra });

describe("api client", () => {
  it("GETs from the base URL and reports the serving region", async () => {
    const { calls } = mockFetch(() => json(200, { items: [] }, { "X-Bookstore-Region": "eu-west-1" }));
    const onRegion = vi.fn();
    const onReachability = vi.fn();
    const result = await client({ onRegion, onReachability }).get("/books?q=dune");
    expect(result).toEqual({ items: [] });
    expect(calls[0].url).toBe("https://api.example.com/books?q=dune");
    expect(calls[0].headers.authorization).toBeUndefined();
    expect(onRegion).toHaveBeenCalledWith("eu-west-1");
    expect(onReachability).toHaveBeenCalledWith(true);
  });

  it("sends the bearer token and a JSON body on authenticated calls", async () => {
    const { calls } = mockFetch(() => json(200, { bookId: "dune", quantity: 2 }));
    await client({ getToken: async () => "abc" }).request("/cart/dune", { method: "PUT", auth: true, body: { quantity: 2 } });
    expect(calls[0].method).toBe("PUT");
    expect(calls[0].headers.authorization).toBe("Bearer abc");
    expect(calls[0].headers["content-type"]).toBe("application/json");
    expect(calls[0].body).toEqual({ quantity: 2 });
  });

  it("refuses an authenticated call without a session", async () => {
    mockFetch(() => json(200, {}));
    await expect(client({ getToken: async () => null }).get("/cart", { auth: true })).rejects.toMatchObject({ status: 401 });
  });

  it("maps the error envelope to ApiError", async () => {
    mockFetch(() => json(409, { error: { code: "empty_cart", message: "Your cart is empty.", field: null } }));
    const error = await client().request("/orders", { method: "POST" }).catch((e) => e);
    expect(error).toBeInstanceOf(ApiError);
    expect(error).toMatchObject({ status: 409, code: "empty_cart", message: "Your cart is empty." });
  });

  it("returns undefined for 204", async () => {
    mockFetch(() => new Response(null, { status: 204 }));
    await expect(client().request("/cart/dune", { method: "DELETE" })).resolves.toBeUndefined();
  });

  it("turns a network failure into NetworkError and reports the API unreachable", async () => {
    mockFetch(() => Promise.reject(new TypeError("Failed to fetch")));
    const onReachability = vi.fn();
    await expect(client({ onReachability }).get("/books")).rejects.toBeInstanceOf(NetworkError);
    expect(onReachability).toHaveBeenCalledWith(false);
  });

  it("treats a bare 502 from the front door as unreachable", async () => {
    mockFetch(() => new Response("<h1>Bad gateway</h1>", { status: 502 }));
    const onReachability = vi.fn();
    await expect(client({ onReachability }).get("/books")).rejects.toBeInstanceOf(NetworkError);
    expect(onReachability).toHaveBeenCalledWith(false);
  });

  it("refreshes once after a 401 and retries with the new token", async () => {
    let token = "old";
    const { calls } = mockFetch((call) =>
      call.headers.authorization === "Bearer new" ? json(200, { items: [] }) : json(401, { message: "Unauthorized" }),
    );
    const onUnauthorized = vi.fn(async () => {
      token = "new";
      return true;
    });
    await client({ getToken: async () => token, onUnauthorized }).get("/orders", { auth: true });
    expect(onUnauthorized).toHaveBeenCalledOnce();
    expect(calls.map((c) => c.headers.authorization)).toEqual(["Bearer old", "Bearer new"]);
  });
});

describe("query", () => {
  it("drops empty values", () => {
    expect(query({ category: "Poetry", q: "", cursor: null, limit: 24 })).toBe("?category=Poetry&limit=24");
    expect(query({ q: undefined })).toBe("");
  });
});
