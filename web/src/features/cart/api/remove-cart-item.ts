import { api } from "@/lib/api-client";

export const removeCartItem = (bookId: string) =>
  api().request<void>(`/cart/${encodeURIComponent(bookId)}`, { method: "DELETE", auth: true });
