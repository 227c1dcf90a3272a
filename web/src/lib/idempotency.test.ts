import { describe, expect, it } from "vitest";
import { currentAttemptKey, endAttempt, IDEMPOTENCY_KEY_PATTERN, newIdempotencyKey } from "./idempotency";

describe("checkout attempt keys", () => {
  it("are valid Idempotency-Key values and unique", () => {
    const a = newIdempotencyKey();
    expect(a).toMatch(IDEMPOTENCY_KEY_PATTERN);
    expect(newIdempotencyKey()).not.toBe(a);
  });

  it("stay the same for one attempt and change after it ends", () => {
    const first = currentAttemptKey();
    expect(currentAttemptKey()).toBe(first);
    endAttempt();
    expect(currentAttemptKey()).not.toBe(first);
  });
});
