import { api } from "@/lib/api-client";
import { isRetryable } from "@/lib/errors";
import type { Order } from "@/types/api";

export const placeOrder = (idempotencyKey: string) =>
  api().request<Order>("/orders", { method: "POST", auth: true, headers: { "Idempotency-Key": idempotencyKey } });

const wait = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Places the order, retrying with the same key while no region answers (for example during a
 * failover). The key makes every retry land on the same order, so this never buys twice.
 */
export async function placeOrderWithRetry(
  idempotencyKey: string,
  { delaysMs = [1000, 2000, 4000, 8000], onRetry }: { delaysMs?: number[]; onRetry?: (attempt: number) => void } = {},
): Promise<Order> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await placeOrder(idempotencyKey);
    } catch (error) {
      if (!isRetryable(error) || attempt >= delaysMs.length) throw error;
      onRetry?.(attempt + 1);
      await wait(delaysMs[attempt]);
    }
  }
}
