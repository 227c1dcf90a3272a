import { api } from "@/lib/api-client";
import type { Cart } from "@/types/api";

export const getCart = (signal?: AbortSignal) => api().get<Cart>("/cart", { auth: true, signal });
