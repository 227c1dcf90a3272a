import { act, cleanup, screen, waitFor } from "@testing-library/preact";
import userEvent from "@testing-library/user-event";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { cart } from "@/features/cart/cart-store";
import { session } from "@/lib/session";
import { clearQueryCache } from "@/lib/use-query";
import { json, mockFetch, type Call } from "@/testing/fetch-mock";
import { renderAt } from "@/testing/render";
import { useTestApi } from "@/testing/services";
import { Route, Router } from "preact-iso";
import { CheckoutPage } from "./checkout";
import { OrderPage } from "./order";

const cartBody = { items: [{ bookId: "dune", title: "Dune", price: "14.99", quantity: 2 }], total: "29.98" };
const order = { orderId: "order-1", createdAt: "2026-11-28T10:00:00Z", items: cartBody.items, total: "29.98", region: "eu-west-1" };

describe("CheckoutPage", () => {
  beforeEach(() => {
    useTestApi();
    session.value = { email: "a@b.c", sub: "user-1" };
    cart.value = null;
    clearQueryCache();
  });
  afterEach(() => {
    session.value = null;
    vi.useRealTimers();
  });

  it("asks signed-out visitors to sign in", () => {
    session.value = null;
    mockFetch(() => json(200, cartBody));
    renderAt("/checkout", <CheckoutPage />);
    expect(screen.getByRole("link", { name: "Sign in" })).toHaveAttribute("href", "/signin?next=%2Fcheckout");
  });

  it("reviews the cart, places the order with an Idempotency-Key and shows the confirmation", async () => {
    const { calls } = mockFetch((call) => (call.method === "POST" ? json(201, order) : json(200, cartBody)));
    renderAt("/checkout", <CheckoutPage />);
    expect(await screen.findByRole("heading", { name: "Review your order" })).toBeInTheDocument();
    expect(screen.getByTestId("order-total")).toHaveTextContent("$29.98");
    await userEvent.click(screen.getByRole("button", { name: "Place order" }));
    await waitFor(() => expect(window.location.pathname).toBe("/orders/order-1"));
    const post = calls.find((c) => c.method === "POST")!;
    expect(post.url).toBe("/api/orders");
    expect(post.headers["idempotency-key"]).toMatch(/^[A-Za-z0-9_-]{1,128}$/);
    // The lines the shopper reviewed, so a repeat in the other region buys the same order.
    expect(post.body).toEqual({ lines: [{ bookId: "dune", quantity: 2 }] });
    expect(cart.value?.items).toEqual([]);
    expect(sessionStorage.getItem("bookstore.checkoutAttempt")).toBeNull();
  });

  it("says the order may exist when a refusal follows an attempt that got no answer", async () => {
    let posts = 0;
    mockFetch((call) => {
      if (call.method !== "POST") return json(200, cartBody);
      posts++;
      if (posts === 1) return Promise.reject(new TypeError("Failed to fetch"));
      return json(409, { error: { code: "CART_CHANGED", message: "The cart changed." } });
    });
    renderAt("/checkout", <CheckoutPage />);
    await userEvent.click(await screen.findByRole("button", { name: "Place order" }));
    expect(await screen.findByRole("alert", {}, { timeout: 5000 })).toHaveTextContent("It may have been placed in the other region");
  });

  it("confirms the order it was answered even when reading it back finds nothing yet", async () => {
    // The read after the redirect may reach the region the order has not replicated to.
    const readBacks: string[] = [];
    mockFetch((call) => {
      if (call.method === "POST") return json(201, order);
      if (call.url.startsWith("/api/orders/")) {
        readBacks.push(call.url);
        return json(404, { error: { code: "NOT_FOUND", message: "no such order" } });
      }
      return json(200, cartBody);
    });
    renderAt("/checkout", <CheckoutPage />);
    await userEvent.click(await screen.findByRole("button", { name: "Place order" }));
    await waitFor(() => expect(window.location.pathname).toBe("/orders/order-1"));
    cleanup();
    renderAt(
      "/orders/order-1?placed=1",
      <Router>
        <Route path="/orders/:id" component={OrderPage} />
        <Route default component={() => null} />
      </Router>,
    );
    expect(await screen.findByTestId("order-confirmation")).toBeInTheDocument();
    // The read-back went out and its 404 has been handled: the confirmation stays.
    await waitFor(() => expect(readBacks).toEqual(["/api/orders/order-1"]));
    await act(() => new Promise((resolve) => setTimeout(resolve, 20)));
    expect(screen.getByTestId("order-confirmation")).toBeInTheDocument();
    expect(screen.getByTestId("order-id")).toHaveTextContent("order-1");
    expect(screen.queryByText("We can't find that order.")).toBeNull();
  });

  it("keeps the same key when the shopper retries after the API stayed unreachable", async () => {
    vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout"], shouldAdvanceTime: true });
    let failing = true;
    const posts: Call[] = [];
    mockFetch((call) => {
      if (call.method !== "POST") return json(200, cartBody);
      posts.push(call);
      return failing ? Promise.reject(new TypeError("Failed to fetch")) : json(200, order);
    });
    renderAt("/checkout", <CheckoutPage />);
    const user = userEvent.setup({ advanceTimers: vi.advanceTimersByTime });
    await user.click(await screen.findByRole("button", { name: "Place order" }));
    await vi.advanceTimersByTimeAsync(20_000);
    expect(await screen.findByRole("alert")).toHaveTextContent("you will never be charged twice");
    failing = false;
    await user.click(screen.getByRole("button", { name: "Try again" }));
    await waitFor(() => expect(window.location.pathname).toBe("/orders/order-1"));
    expect(posts.length).toBeGreaterThan(2);
    expect(new Set(posts.map((p) => p.headers["idempotency-key"])).size).toBe(1);
  });

  it("explains a 409 and shows the refreshed cart", async () => {
    let posted = false;
    mockFetch((call) => {
      if (call.method === "POST") {
        posted = true;
        return json(409, { error: { code: "empty_cart", message: "Your cart is empty." } });
      }
      return json(200, posted ? { items: [], total: "0.00" } : cartBody);
    });
    renderAt("/checkout", <CheckoutPage />);
    await userEvent.click(await screen.findByRole("button", { name: "Place order" }));
    expect(await screen.findByText(/Your cart is empty. Please review your cart./)).toBeInTheDocument();
    expect(screen.getByText("There is nothing to check out.")).toBeInTheDocument();
  });
});
