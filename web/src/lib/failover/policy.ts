import raw from "./policy.json";

/**
 * The client failover policy. Its numbers live in policy.json so that the drill's Python
 * shoppers read the very same file; this module only types it and answers questions about it.
 */
export type FailoverPolicy = {
  /** A request that may go to the other region gives up on the first one after this long. */
  firstTimeoutMs: number;
  /** The bound on the attempt that has no other region left to try. */
  lastTimeoutMs: number;
  /** Answers that mean "this region cannot serve", so a safe request tries the other one. */
  failoverStatuses: number[];
  /**
   * Method + path template ("*" for any path) of the requests that are safe to send twice,
   * and what such a request must carry to be ("header:<name>", "body:<field>").
   */
  safeToRepeat: { method: string; path: string; requires?: string[] }[];
  /** How long a region that failed is not gone back to on a page load. */
  avoidFailedRegionMs: number;
  /** What a page load asks the routed endpoint before it leaves a far region. */
  healthPath: string;
};

export const failoverPolicy: FailoverPolicy = raw;

// "/cart/{bookId}" matches one non-empty path segment where the template has a parameter.
const templateMatcher = (template: string) =>
  template === "*"
    ? () => true
    : (path: string) => {
        const want = template.split("/");
        const got = path.split("?")[0].split("/");
        return (
          want.length === got.length &&
          want.every((part, i) => (part.startsWith("{") && part.endsWith("}") ? got[i] !== "" : part === got[i]))
        );
      };

/** What a request carries, for the rules that require something of it. */
export type RequestParts = { headers?: Record<string, string>; body?: unknown };

// POST /orders is only safe with its Idempotency-Key (one order id in both regions) and the
// lines the shopper chose (the same contents in both): docs/client-failover.md.
const carries = (need: string, request: RequestParts): boolean => {
  const [kind, name] = need.split(":", 2);
  if (kind === "header") {
    return Object.entries(request.headers ?? {}).some(([key, value]) => key.toLowerCase() === name.toLowerCase() && value !== "");
  }
  const body = request.body;
  if (kind !== "body" || typeof body !== "object" || body === null) return false;
  const value = (body as Record<string, unknown>)[name];
  return Array.isArray(value) ? value.length > 0 : value !== undefined && value !== null;
};

/** True when the request may be sent to the other region after the first one failed. */
export function isSafeToRepeat(
  method: string,
  path: string,
  policy: FailoverPolicy = failoverPolicy,
  request: RequestParts = {},
): boolean {
  return policy.safeToRepeat.some(
    (rule) =>
      rule.method === method.toUpperCase() &&
      templateMatcher(rule.path)(path) &&
      (rule.requires ?? []).every((need) => carries(need, request)),
  );
}
