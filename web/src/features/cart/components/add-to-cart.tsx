import { useLocation } from "preact-iso";
import { useState } from "preact/hooks";
import { errorMessage } from "@/lib/errors";
import { session } from "@/lib/session";
import { addToCart, cart } from "../cart-store";

export function AddToCartButton({ bookId, title }: { bookId: string; title: string }) {
  const { route, url } = useLocation();
  const [busy, setBusy] = useState(false);
  const [message, setMessage] = useState<{ text: string; error?: boolean } | null>(null);
  const inCart = cart.value?.items.find((item) => item.bookId === bookId)?.quantity ?? 0;

  const add = async () => {
    if (!session.value) return route(`/signin?next=${encodeURIComponent(url)}`);
    setBusy(true);
    setMessage(null);
    try {
      await addToCart(bookId);
      setMessage({ text: `Added “${title}” to your cart.` });
    } catch (error) {
      setMessage({ text: errorMessage(error), error: true });
    } finally {
      setBusy(false);
    }
  };

  return (
    <div class="add-to-cart">
      <button type="button" class="button button-primary button-large" onClick={add} disabled={busy}>
        {busy ? "Adding…" : "Add to cart"}
      </button>
      {inCart > 0 && (
        <a href="/cart" class="in-cart">
          {inCart} in your cart
        </a>
      )}
      <p class={message?.error ? "form-error" : "form-note"} role="status" aria-live="polite">
        {message?.text ?? ""}
      </p>
    </div>
  );
}
