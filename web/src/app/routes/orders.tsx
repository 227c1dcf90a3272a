import { LoadMore } from "@/components/load-more";
import { EmptyState, ErrorState, Loading } from "@/components/states";
import { RequireAuth } from "@/features/auth/components/require-auth";
import { getOrders } from "@/features/orders/api/get-orders";
import { formatDate } from "@/features/orders/components/order-lines";
import { formatMoney } from "@/lib/money";
import { useMorePages } from "@/lib/use-more-pages";
import { useQuery } from "@/lib/use-query";
import { useTitle } from "@/lib/use-title";

export function OrdersPage() {
  useTitle("My orders");
  return (
    <div class="narrow">
      <div class="page-head">
        <h1>My orders</h1>
      </div>
      <RequireAuth what="your orders">
        <OrderList />
      </RequireAuth>
    </div>
  );
}

function OrderList() {
  const first = useQuery("orders", (signal) => getOrders(null, signal));
  const pages = useMorePages(first.data, (cursor) => getOrders(cursor));
  const orders = pages.items;

  if (first.loading && !first.data) return <Loading label="Loading your orders…" />;
  if (first.error && !first.data) return <ErrorState error={first.error} onRetry={first.reload} />;
  if (!orders.length) {
    return (
      <EmptyState title="You haven't ordered anything yet.">
        <p>
          <a href="/books">Find something to read</a>
        </p>
      </EmptyState>
    );
  }
  return (
    <>
      <ul class="order-list" aria-label="Your orders, newest first">
        {orders.map((order) => {
          const books = order.items.reduce((n, item) => n + item.quantity, 0);
          return (
            <li key={order.orderId} class="order-card" data-testid="order-card" data-order-id={order.orderId}>
              <div>
                <a href={`/orders/${encodeURIComponent(order.orderId)}`} class="order-card-title">
                  {formatDate(order.createdAt)}
                </a>
                <p class="muted">
                  {books} {books === 1 ? "book" : "books"}: {order.items.map((item) => item.title).join(", ")}
                </p>
              </div>
              <div class="order-card-side">
                <strong>{formatMoney(order.total)}</strong>
                <span class="muted small">via {order.region}</span>
              </div>
            </li>
          );
        })}
      </ul>
      <LoadMore pages={pages} label="Show older orders" />
    </>
  );
}
