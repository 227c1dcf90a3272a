import { api, query } from "@/lib/api-client";
import type { OrderList } from "@/types/api";

export const ORDERS_PAGE_SIZE = 20;

/** One page of the caller's orders, newest first; `cursor` continues after an earlier page. */
export const getOrders = (cursor?: string | null, signal?: AbortSignal) =>
  api().get<OrderList>(`/orders${query({ limit: ORDERS_PAGE_SIZE, cursor })}`, { auth: true, signal });
