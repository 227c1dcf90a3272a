import { useState } from "preact/hooks";
import { Cover } from "@/features/books/components/cover";
import { errorMessage } from "@/lib/errors";
import { formatMoney, lineTotal, sumLines } from "@/lib/money";
import type { Cart } from "@/types/api";
import { removeFromCart, setQuantity } from "../cart-store";
import { QuantityInput } from "./quantity-input";

export function CartView({ cart }: { cart: Cart }) {
  const [busy, setBusy] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);

  const run = async (bookId: string, action: () => Promise<void>) => {
    setBusy(bookId);
    setError(null);
    try {
      await action();
    } catch (e) {
      setError(errorMessage(e));
    } finally {
      setBusy(null);
    }
  };

  return (
    <div class="cart">
      <ul class="cart-lines" aria-label="Items in your cart">
        {cart.items.map((item) => (
          <li class="cart-line" key={item.bookId} data-testid="cart-line" data-book-id={item.bookId}>
            <Cover book={{ id: item.bookId, title: item.title, author: "", cover: `/covers/${item.bookId}.svg` }} size="small" />
            <div class="cart-line-info">
              <a href={`/books/${encodeURIComponent(item.bookId)}`} class="cart-line-title">
                {item.title}
              </a>
              <span class="muted">{formatMoney(item.price)} each</span>
            </div>
            <QuantityInput
              id={`qty-${item.bookId}`}
              label={`Quantity of ${item.title}`}
              value={item.quantity}
              disabled={busy === item.bookId}
              onChange={(quantity) => run(item.bookId, () => setQuantity(item.bookId, quantity))}
            />
            <span class="cart-line-total">{formatMoney(lineTotal(item.price, item.quantity))}</span>
            <button
              type="button"
              class="link-button danger"
              disabled={busy === item.bookId}
              onClick={() => run(item.bookId, () => removeFromCart(item.bookId))}
              aria-label={`Remove ${item.title} from cart`}
            >
              Remove
            </button>
          </li>
        ))}
      </ul>
      {error && (
        <p class="form-error" role="alert">
          {error}
        </p>
      )}
      <div class="cart-summary">
        <span>Total</span>
        <strong data-testid="cart-total">{formatMoney(sumLines(cart.items))}</strong>
      </div>
    </div>
  );
}
