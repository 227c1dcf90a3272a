import { api } from "@/lib/api-client";
import type { Order } from "@/types/api";

export const getOrders = (signal?: AbortSignal) =>
  api().get<{ items: Order[] }>("/orders", { auth: true, signal }).then((r) => r.items);
