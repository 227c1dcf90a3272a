import { api } from "@/lib/api-client";
import { ApiError, isRetryable } from "@/lib/errors";
import type { Order } from "@/types/api";

/** A cart line as the shopper saw it on the review page. */
export type ChosenLine = { bookId: string; quantity: number };

/**
 * Buys exactly the lines the shopper saw. With the same key and lines, the client may repeat
 * it on the other region: both regions would store the same order (docs/client-failover.md).
 */
export const placeOrder = (idempotencyKey: string, lines: ChosenLine[]) =>
  api().request<Order>("/orders", {
    method: "POST",
    auth: true,
    headers: { "Idempotency-Key": idempotencyKey },
    body: { lines: lines.map(({ bookId, quantity }) => ({ bookId, quantity })) },
  });

const wait = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Places the order, retrying with the same key while no region answers (for example during a
 * failover). The key makes every retry land on the same order, so this never buys twice.
 */
export async function placeOrderWithRetry(
  idempotencyKey: string,
  lines: ChosenLine[],
  { delaysMs = [1000, 2000, 4000, 8000], onRetry }: { delaysMs?: number[]; onRetry?: (attempt: number) => void } = {},
): Promise<Order> {
  let unanswered = false;
  for (let attempt = 0; ; attempt++) {
    try {
      return await placeOrder(idempotencyKey, lines);
    } catch (error) {
      // A refusal after an attempt that got no answer may hide an order that attempt placed.
      if (error instanceof ApiError && unanswered && !error.afterUnanswered) {
        throw new ApiError(error.status, error.code, error.message, error.field, true);
      }
      if (!isRetryable(error) || attempt >= delaysMs.length) throw error;
      unanswered = true;
      onRetry?.(attempt + 1);
      await wait(delaysMs[attempt]);
    }
  }
}
