// One Idempotency-Key per checkout attempt. It is kept in sessionStorage until the attempt
// ends (order confirmed, or the server says no), so a retry, even after a reload or a regional
// failover, sends the same key and can never buy twice.
const KEY = "bookstore.checkoutAttempt";
export const IDEMPOTENCY_KEY_PATTERN = /^[A-Za-z0-9_-]{1,128}$/;

export function newIdempotencyKey(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  return "web-" + Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

export function currentAttemptKey(): string {
  const existing = sessionStorage.getItem(KEY);
  if (existing && IDEMPOTENCY_KEY_PATTERN.test(existing)) return existing;
  const key = newIdempotencyKey();
  sessionStorage.setItem(KEY, key);
  return key;
}

export function endAttempt() {
  sessionStorage.removeItem(KEY);
}

/** True between "Place order" and its end: a checkout is under way in this tab. */
export function attemptInProgress(): boolean {
  try {
    return sessionStorage.getItem(KEY) !== null;
  } catch {
    return false;
  }
}
