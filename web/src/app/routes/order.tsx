import { useLocation, useRoute } from "preact-iso";
import { ErrorState, Loading } from "@/components/states";
import { RequireAuth } from "@/features/auth/components/require-auth";
import { getOrder } from "@/features/orders/api/get-order";
import { formatDate, OrderLines } from "@/features/orders/components/order-lines";
import { ApiError } from "@/lib/errors";
import { useQuery } from "@/lib/use-query";
import { useTitle } from "@/lib/use-title";

export function OrderPage() {
  const { query } = useLocation();
  const placed = query.placed === "1";
  useTitle(placed ? "Thank you" : "Order");
  return (
    <div class="narrow">
      <RequireAuth what="this order">
        <OrderContent placed={placed} />
      </RequireAuth>
    </div>
  );
}

function OrderContent({ placed }: { placed: boolean }) {
  const { params } = useRoute();
  const order = useQuery(`orders:${params.id}`, (signal) => getOrder(params.id, signal));
  if (order.loading && !order.data) return <Loading label="Loading your order…" />;
  if (order.error && !order.data) {
    const notFound = order.error instanceof ApiError && order.error.status === 404;
    return <ErrorState title={notFound ? "We can't find that order." : undefined} error={order.error} onRetry={notFound ? undefined : order.reload} />;
  }
  const o = order.data!;
  return (
    <>
      {placed ? (
        <div class="confirmation" data-testid="order-confirmation">
          <span class="confirmation-mark" aria-hidden="true">
            ✓
          </span>
          <h1>Thank you! Your order is confirmed.</h1>
          <p>We've started wrapping your books.</p>
        </div>
      ) : (
        <div class="page-head">
          <h1>Order</h1>
        </div>
      )}
      <section class="panel" aria-label="Order details">
        <dl class="order-facts">
          <div>
            <dt>Order number</dt>
            <dd data-testid="order-id">{o.orderId}</dd>
          </div>
          <div>
            <dt>Placed</dt>
            <dd>{formatDate(o.createdAt)}</dd>
          </div>
          <div>
            <dt>Taken by region</dt>
            <dd>{o.region}</dd>
          </div>
        </dl>
        <OrderLines items={o.items} total={o.total} caption="Books in this order" />
      </section>
      <p class="actions">
        <a href="/orders" class="button button-secondary">
          All my orders
        </a>
        <a href="/books" class="button button-primary">
          Keep shopping
        </a>
      </p>
    </>
  );
}
