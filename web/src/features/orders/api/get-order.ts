import { api } from "@/lib/api-client";
import type { Order } from "@/types/api";

export const getOrder = (orderId: string, signal?: AbortSignal) =>
  api().get<Order>(`/orders/${encodeURIComponent(orderId)}`, { auth: true, signal });
