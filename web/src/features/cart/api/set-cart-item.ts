import { api } from "@/lib/api-client";
import type { CartItem } from "@/types/api";

export const MAX_QUANTITY = 99;

export const setCartItem = (bookId: string, quantity: number) =>
  api().request<CartItem>(`/cart/${encodeURIComponent(bookId)}`, { method: "PUT", auth: true, body: { quantity } });
