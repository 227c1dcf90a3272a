import { api } from "@/lib/api-client";
import type { CartItem, SetQuantity } from "@/types/api";

// The API's own limit, read from the OpenAPI document at build time.
export { MAX_QUANTITY } from "@/types/api";

export const setCartItem = (bookId: string, quantity: number) =>
  api().request<CartItem>(`/cart/${encodeURIComponent(bookId)}`, { method: "PUT", auth: true, body: { quantity } satisfies SetQuantity });
