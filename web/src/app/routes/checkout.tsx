import { useLocation } from "preact-iso";
import { useState } from "preact/hooks";
import { EmptyState, ErrorState, Loading } from "@/components/states";
import { RequireAuth } from "@/features/auth/components/require-auth";
import { cart, loadCart } from "@/features/cart/cart-store";
import { placeOrderWithRetry } from "@/features/orders/api/place-order";
import { OrderLines } from "@/features/orders/components/order-lines";
import { ApiError, errorMessage, isRetryable } from "@/lib/errors";
import { currentAttemptKey, endAttempt } from "@/lib/idempotency";
import { clearQueryCache, primeQuery, useQuery } from "@/lib/use-query";
import { useTitle } from "@/lib/use-title";

export function CheckoutPage() {
  useTitle("Checkout");
  return (
    <div class="narrow">
      <div class="page-head">
        <h1>Checkout</h1>
      </div>
      <RequireAuth what="checkout">
        <Review />
      </RequireAuth>
    </div>
  );
}

export const UNCONFIRMED =
  "We could not confirm your order. It may have been placed in the other region: it will show in your orders once that region answers again. Please check your orders before you order again.";

type Status = { kind: "idle" } | { kind: "placing"; attempt: number } | { kind: "failed"; message: string; retryable: boolean };

function Review() {
  const { route } = useLocation();
  const load = useQuery("cart", loadCart);
  const [status, setStatus] = useState<Status>({ kind: "idle" });
  const current = cart.value;

  const place = async () => {
    const key = currentAttemptKey();
    setStatus({ kind: "placing", attempt: 1 });
    try {
      const lines = (current?.items ?? []).map(({ bookId, quantity }) => ({ bookId, quantity }));
      const order = await placeOrderWithRetry(key, lines, { onRetry: (n) => setStatus({ kind: "placing", attempt: n + 1 }) });
      endAttempt();
      cart.value = { items: [], total: "0.00" };
      clearQueryCache("orders");
      // The confirmation shows the order as the API answered it; reading it back could reach
      // the other region before it has the order and say "not found" to a shopper who paid.
      primeQuery(`orders:${order.orderId}`, order);
      clearQueryCache("bestsellers");
      route(`/orders/${encodeURIComponent(order.orderId)}?placed=1`);
    } catch (error) {
      const retryable = isRetryable(error);
      if (!retryable) endAttempt();
      if (error instanceof ApiError && error.status === 409) {
        await loadCart().catch(() => null);
        clearQueryCache("orders");
        // An attempt that got no answer may have placed the order in a region that is out now.
        const message = error.afterUnanswered ? UNCONFIRMED : `${error.message} Please review your cart.`;
        setStatus({ kind: "failed", retryable: false, message });
        return;
      }
      setStatus({
        kind: "failed",
        retryable,
        message: retryable
          ? "We couldn't confirm your order yet. Trying again is safe: you will never be charged twice."
          : errorMessage(error),
      });
    }
  };

  if (!current && load.loading) return <Loading label="Loading your cart…" />;
  if (!current) return <ErrorState error={load.error} onRetry={load.reload} />;
  if (current.items.length === 0) {
    return (
      <EmptyState title="There is nothing to check out.">
        {status.kind === "failed" && <p class="form-error">{status.message}</p>}
        <p>
          <a href="/books">Browse the books</a>
        </p>
      </EmptyState>
    );
  }

  const placing = status.kind === "placing";
  return (
    <section aria-labelledby="review-heading" class="panel">
      <h2 id="review-heading">Review your order</h2>
      <OrderLines items={current.items} total={current.total} caption="Books in this order" />
      <p class="muted">
        <a href="/cart">Change quantities</a>
      </p>
      <div role="status" aria-live="polite" class="checkout-status">
        {placing && status.attempt > 1 && <p>Still trying to reach the bookstore (attempt {status.attempt})…</p>}
      </div>
      {status.kind === "failed" && (
        <p class="form-error" role="alert">
          {status.message}
        </p>
      )}
      <button type="button" class="button button-primary button-large button-block" onClick={place} disabled={placing}>
        {placing ? "Placing your order…" : status.kind === "failed" && status.retryable ? "Try again" : "Place order"}
      </button>
    </section>
  );
}
