import { computed, signal } from "@preact/signals";
import { sumLines } from "@/lib/money";
import type { Cart } from "@/types/api";
import { getCart } from "./api/get-cart";
import { MAX_QUANTITY, setCartItem } from "./api/set-cart-item";
import { removeCartItem } from "./api/remove-cart-item";

/** The signed-in customer's cart as last seen from the API (null until loaded). */
export const cart = signal<Cart | null>(null);
export const cartCount = computed(() => cart.value?.items.reduce((n, item) => n + item.quantity, 0) ?? 0);

export async function loadCart(signal?: AbortSignal): Promise<Cart> {
  const next = await getCart(signal);
  cart.value = next;
  return next;
}

export const forgetCart = () => {
  cart.value = null;
};

function withLine(bookId: string, line: { title: string; price: string; quantity: number } | null) {
  const items = (cart.value?.items ?? []).filter((item) => item.bookId !== bookId);
  const existing = cart.value?.items ?? [];
  if (line) {
    const index = existing.findIndex((item) => item.bookId === bookId);
    const next = { bookId, ...line };
    if (index >= 0) items.splice(index, 0, next);
    else items.push(next);
  }
  cart.value = { items, total: sumLines(items) };
}

export async function setQuantity(bookId: string, quantity: number) {
  if (quantity <= 0) return removeFromCart(bookId);
  const item = await setCartItem(bookId, Math.min(quantity, MAX_QUANTITY));
  withLine(bookId, item);
}

export async function addToCart(bookId: string, quantity = 1) {
  if (cart.value === null) await loadCart().catch(() => null);
  const current = cart.value?.items.find((item) => item.bookId === bookId)?.quantity ?? 0;
  await setQuantity(bookId, current + quantity);
}

export async function removeFromCart(bookId: string) {
  await removeCartItem(bookId);
  withLine(bookId, null);
}
