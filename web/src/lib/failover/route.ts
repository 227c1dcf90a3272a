import { failoverPolicy, type FailoverPolicy } from "./policy";

/**
 * Where the API client sends its requests: the routed endpoint (the one DNS points at a
 * healthy region) or one region's own endpoint after a failover. Kept in sessionStorage, so a
 * shopper moved to the far region stays there across page loads until the routed endpoint
 * answers healthy again.
 */
export type RouteState = {
  /** The region whose own endpoint is used, or null for the routed endpoint. */
  pinned: string | null;
  /** Region -> when it last failed a request (epoch ms). */
  failedAt: Record<string, number>;
};

export type RegionRoute = {
  state(): RouteState;
  pin(region: string | null): void;
  markFailed(region: string): void;
  /** True while a region that failed is still avoided. */
  avoided(region: string): boolean;
};

const KEY = "bookstore.apiRoute";

function readStored(storage: Storage | null): RouteState {
  try {
    const raw = JSON.parse(storage?.getItem(KEY) ?? "null");
    if (raw && typeof raw === "object") {
      return {
        pinned: typeof raw.pinned === "string" ? raw.pinned : null,
        failedAt: raw.failedAt && typeof raw.failedAt === "object" ? raw.failedAt : {},
      };
    }
  } catch {
    /* unreadable: start on the routed endpoint */
  }
  return { pinned: null, failedAt: {} };
}

const sessionStore = (): Storage | null => {
  try {
    return sessionStorage;
  } catch {
    return null;
  }
};

export function createRegionRoute(
  {
    storage = sessionStore(),
    now = Date.now,
    policy = failoverPolicy,
    onChange,
  }: { storage?: Storage | null; now?: () => number; policy?: FailoverPolicy; onChange?: (state: RouteState) => void } = {},
): RegionRoute {
  let current = readStored(storage);
  const save = (next: RouteState) => {
    current = next;
    try {
      storage?.setItem(KEY, JSON.stringify(next));
    } catch {
      /* storage unavailable: the route holds for this page only */
    }
    onChange?.(next);
  };
  return {
    state: () => current,
    pin: (region) => {
      if (region !== current.pinned) save({ ...current, pinned: region });
    },
    markFailed: (region) => save({ ...current, failedAt: { ...current.failedAt, [region]: now() } }),
    avoided: (region) => {
      const at = current.failedAt[region];
      return at !== undefined && now() - at < policy.avoidFailedRegionMs;
    },
  };
}
