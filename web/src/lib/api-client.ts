import { ApiError, NetworkError } from "./errors";
import { failoverPolicy, isSafeToRepeat, type FailoverPolicy } from "./failover/policy";
import { createRegionRoute, type RegionRoute } from "./failover/route";

export const REGION_HEADER = "X-Bookstore-Region";

export type RequestOptions = {
  method?: "GET" | "PUT" | "POST" | "DELETE";
  body?: unknown;
  auth?: boolean;
  headers?: Record<string, string>;
  signal?: AbortSignal;
};

export type ApiClientOptions = {
  /** The routed endpoint: DNS (or the sandbox's front door) picks a healthy region. */
  baseUrl: string;
  /** Each region's own endpoint, for the client's failover. Without it there is none. */
  regionalApis?: Record<string, string>;
  /** Which endpoint is in use; shared by the page loads of a tab. */
  route?: RegionRoute;
  policy?: FailoverPolicy;
  /** The region the tab last saw answering, so a failure on the first request is blamed right. */
  lastRegion?: string | null;
  fetchFn?: typeof fetch;
  /** Returns a fresh bearer token, or null when signed out. */
  getToken?: () => Promise<string | null>;
  /** Called after a 401: refresh the session; true when a retry may succeed. */
  onUnauthorized?: () => Promise<boolean>;
  onRegion?: (region: string) => void;
  /** false when no region could serve (network error, 502/503/504), true otherwise. */
  onReachability?: (reachable: boolean) => void;
};

export type ApiClient = {
  request<T>(path: string, options?: RequestOptions): Promise<T>;
  get<T>(path: string, options?: Omit<RequestOptions, "method" | "body">): Promise<T>;
  /**
   * For a page load: leave the far region for the routed endpoint when that answers healthy
   * from a region not recently failed. Never during a checkout (its reads must see its writes).
   * Resolves to true when the client moved back.
   */
  returnToRouted(checkoutInProgress: () => boolean): Promise<boolean>;
};

/** One place a request can go: the routed endpoint (region unknown up front) or a region's own. */
type Target = { url: string; region: string | null; routed: boolean };
type Outcome = { response: Response; target: Target } | { failure: "network" | "timeout"; target: Target };

export function createApiClient(options: ApiClientOptions): ApiClient {
  const fetchFn = options.fetchFn ?? ((input, init) => fetch(input, init));
  const policy = options.policy ?? failoverPolicy;
  const regional = options.regionalApis ?? {};
  const route = options.route ?? createRegionRoute({ storage: null, policy });
  const failoverStatuses = new Set(policy.failoverStatuses);
  // The region that last answered on the routed endpoint: the one a failure there is blamed on.
  let routedRegion: string | null = options.lastRegion ?? null;

  /** Where a request goes, in order: the current endpoint, then each other region's own. */
  function targets(safe: boolean): Target[] {
    const pinned = route.state().pinned;
    const first: Target =
      pinned && regional[pinned]
        ? { url: regional[pinned], region: pinned, routed: false }
        : { url: options.baseUrl, region: routedRegion, routed: true };
    if (!safe) return [first];
    // When the routed endpoint fails, the region it last answered from is not known to be the
    // failed one (DNS may have moved this client meanwhile), so it is tried too, last.
    const others = Object.keys(regional)
      .filter((name) => first.routed || name !== first.region)
      // A region that failed lately is the last resort, not the next try.
      .sort((a, b) => Number(route.avoided(a)) - Number(route.avoided(b)) || Number(a === first.region) - Number(b === first.region))
      .map((name) => ({ url: regional[name], region: name, routed: false }));
    return [first, ...others];
  }

  async function attempt(target: Target, path: string, init: RequestInit, timeoutMs: number | null, signal?: AbortSignal): Promise<Outcome> {
    const timer = new AbortController();
    const abort = () => timer.abort();
    signal?.addEventListener("abort", abort);
    const clock = timeoutMs === null ? undefined : setTimeout(abort, timeoutMs);
    try {
      const response = await fetchFn(`${target.url}${path}`, { ...init, signal: timer.signal });
      return { response, target };
    } catch (error) {
      if (signal?.aborted) throw error;
      return { failure: timer.signal.aborted ? "timeout" : "network", target };
    } finally {
      clearTimeout(clock);
      signal?.removeEventListener("abort", abort);
    }
  }

  /** The answer, and whether an earlier attempt of this request went unanswered. */
  async function send(path: string, opts: RequestOptions): Promise<{ response: Response; repeated: boolean }> {
    const method = opts.method ?? "GET";
    const headers: Record<string, string> = { Accept: "application/json", ...opts.headers };
    if (opts.body !== undefined) headers["Content-Type"] = "application/json";
    if (opts.auth) {
      const token = await options.getToken?.();
      if (!token) throw new ApiError(401, "unauthenticated", "Please sign in to continue.");
      headers.Authorization = `Bearer ${token}`;
    }
    const init: RequestInit = { method, headers, body: opts.body === undefined ? undefined : JSON.stringify(opts.body) };
    // POST /orders is safe to repeat only with its Idempotency-Key and chosen lines; without
    // them it goes to the current endpoint only and waits as long as that takes.
    const safe = isSafeToRepeat(method, path, policy, { headers: opts.headers, body: opts.body });
    const plan = targets(safe);
    let last: Outcome | null = null;
    for (const [index, target] of plan.entries()) {
      const final = index === plan.length - 1;
      const timeoutMs = !safe ? null : final ? policy.lastTimeoutMs : policy.firstTimeoutMs;
      last = await attempt(target, path, init, timeoutMs, opts.signal);
      if ("response" in last && !(failoverStatuses.has(last.response.status) && !final)) break;
      if (target.region) route.markFailed(target.region);
    }
    if (!last || !("response" in last)) {
      options.onReachability?.(false);
      throw new NetworkError();
    }
    const { response, target } = last;
    // The client stays with the region that answered: a region's own endpoint that served
    // after the current one failed becomes the current one.
    if (target !== plan[0] && !failoverStatuses.has(response.status)) route.pin(target.region);
    const region = response.headers.get(REGION_HEADER);
    if (target.routed && region) routedRegion = region;
    return { response, repeated: target !== plan[0] };
  }

  async function request<T>(path: string, opts: RequestOptions = {}): Promise<T> {
    let { response, repeated } = await send(path, opts);
    if (response.status === 401 && opts.auth && (await options.onUnauthorized?.())) {
      ({ response, repeated } = await send(path, opts));
    }
    const region = response.headers.get(REGION_HEADER);
    if (region) options.onRegion?.(region);
    options.onReachability?.(!failoverStatuses.has(response.status));

    if (response.status === 204) return undefined as T;
    const payload = await response.json().catch(() => null);
    if (response.ok) return payload as T;

    const error = payload?.error;
    if (error && typeof error.message === "string") {
      throw new ApiError(response.status, String(error.code ?? "error"), error.message, error.field ?? undefined, repeated);
    }
    if (failoverStatuses.has(response.status)) throw new NetworkError();
    throw new ApiError(response.status, "http_error", `The bookstore answered with HTTP ${response.status}.`, undefined, repeated);
  }

  async function returnToRouted(checkoutInProgress: () => boolean): Promise<boolean> {
    if (route.state().pinned === null || checkoutInProgress()) return false;
    const routed: Target = { url: options.baseUrl, region: null, routed: true };
    // Asked as the shopper: the answer must come from where the shopper's own requests would go.
    const token = await options.getToken?.();
    const headers: Record<string, string> = { Accept: "application/json", ...(token ? { Authorization: `Bearer ${token}` } : {}) };
    const outcome = await attempt(routed, policy.healthPath, { method: "GET", headers }, policy.firstTimeoutMs);
    if (!("response" in outcome) || outcome.response.status !== 200) return false;
    const region = outcome.response.headers.get(REGION_HEADER);
    if (region && route.avoided(region)) return false;
    // A checkout that began while the health check was in flight keeps its region.
    if (checkoutInProgress()) return false;
    routedRegion = region;
    route.pin(null);
    return true;
  }

  return {
    request,
    get: (path, opts) => request(path, { ...opts, method: "GET" }),
    returnToRouted,
  };
}

let current: ApiClient | null = null;

export function setApiClient(client: ApiClient | null) {
  current = client;
}

export function api(): ApiClient {
  if (!current) throw new Error("API client used before the configuration was loaded");
  return current;
}

export const query = (params: Record<string, string | number | null | undefined>) => {
  const search = new URLSearchParams();
  for (const [key, value] of Object.entries(params)) {
    if (value !== null && value !== undefined && value !== "") search.set(key, String(value));
  }
  const text = search.toString();
  return text ? `?${text}` : "";
};
