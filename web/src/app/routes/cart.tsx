import { EmptyState, ErrorState, Loading } from "@/components/states";
import { RequireAuth } from "@/features/auth/components/require-auth";
import { cart, loadCart } from "@/features/cart/cart-store";
import { CartView } from "@/features/cart/components/cart-view";
import { useQuery } from "@/lib/use-query";
import { useTitle } from "@/lib/use-title";

export function CartPage() {
  useTitle("Your cart");
  return (
    <div>
      <div class="page-head">
        <h1>Your cart</h1>
      </div>
      <RequireAuth what="your cart">
        <CartContent />
      </RequireAuth>
    </div>
  );
}

function CartContent() {
  const load = useQuery("cart", loadCart);
  const current = cart.value;
  if (!current && load.loading) return <Loading label="Loading your cart…" />;
  if (!current) return <ErrorState error={load.error} onRetry={load.reload} />;
  if (current.items.length === 0) {
    return (
      <EmptyState title="Your cart is empty.">
        <p>
          <a class="button button-primary" href="/books">
            Find a book
          </a>
        </p>
      </EmptyState>
    );
  }
  return (
    <>
      <CartView cart={current} />
      <div class="actions">
        <a href="/books" class="button button-secondary">
          Keep shopping
        </a>
        <a href="/checkout" class="button button-primary button-large">
          Go to checkout
        </a>
      </div>
    </>
  );
}
