import { ApiError, NetworkError } from "./errors";

export const REGION_HEADER = "X-Bookstore-Region";

export type RequestOptions = {
  method?: "GET" | "PUT" | "POST" | "DELETE";
  body?: unknown;
  auth?: boolean;
  headers?: Record<string, string>;
  signal?: AbortSignal;
};

export type ApiClientOptions = {
  baseUrl: string;
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
};

const UNAVAILABLE = new Set([502, 503, 504]);

export function createApiClient(options: ApiClientOptions): ApiClient {
  const fetchFn = options.fetchFn ?? ((input, init) => fetch(input, init));

  async function send(path: string, opts: RequestOptions): Promise<Response> {
    const headers: Record<string, string> = { Accept: "application/json", ...opts.headers };
    if (opts.body !== undefined) headers["Content-Type"] = "application/json";
    if (opts.auth) {
      const token = await options.getToken?.();
      if (!token) throw new ApiError(401, "unauthenticated", "Please sign in to continue.");
      headers.Authorization = `Bearer ${token}`;
    }
    try {
      return await fetchFn(`${options.baseUrl}${path}`, {
        method: opts.method ?? "GET",
        headers,
        body: opts.body === undefined ? undefined : JSON.stringify(opts.body),
        signal: opts.signal,
      });
    } catch (error) {
      if ((error as Error)?.name === "AbortError") throw error;
      options.onReachability?.(false);
      throw new NetworkError();
    }
  }

  async function request<T>(path: string, opts: RequestOptions = {}): Promise<T> {
    let response = await send(path, opts);
    if (response.status === 401 && opts.auth && (await options.onUnauthorized?.())) {
      response = await send(path, opts);
    }
    const region = response.headers.get(REGION_HEADER);
    if (region) options.onRegion?.(region);
    options.onReachability?.(!UNAVAILABLE.has(response.status));

    if (response.status === 204) return undefined as T;
    const payload = await response.json().catch(() => null);
    if (response.ok) return payload as T;

    const error = payload?.error;
    if (error && typeof error.message === "string") {
      throw new ApiError(response.status, String(error.code ?? "error"), error.message, error.field ?? undefined);
    }
    if (UNAVAILABLE.has(response.status)) throw new NetworkError();
    throw new ApiError(response.status, "http_error", `The bookstore answered with HTTP ${response.status}.`);
  }

  return {
    request,
    get: (path, opts) => request(path, { ...opts, method: "GET" }),
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
