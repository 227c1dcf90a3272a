import { effect, signal } from "@preact/signals";

const REGION_KEY = "bookstore.region";
const stored = () => {
  try {
    return sessionStorage.getItem(REGION_KEY);
  } catch {
    return null;
  }
};

/**
 * Region named by the X-Bookstore-Region header of the latest API response. Remembered for the
 * tab, so a failover is visible as a change even across a reload.
 */
export const servedBy = signal<string | null>(stored());
effect(() => {
  try {
    if (servedBy.value) sessionStorage.setItem(REGION_KEY, servedBy.value);
  } catch {
    /* storage unavailable: the badge still works for this page */
  }
});
/** False while the API cannot be reached; the connectivity monitor probes until it comes back. */
export const apiReachable = signal(true);
/** Bumped each time the API comes back, so pages showing a network error fetch again. */
export const reconnects = signal(0);
/**
 * The region whose own endpoint the client uses after a failover, or null while it uses the
 * routed endpoint.
 */
export const pinnedRegion = signal<string | null>(null);
