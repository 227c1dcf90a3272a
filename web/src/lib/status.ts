import { signal } from "@preact/signals";

/** Region named by the X-Bookstore-Region header of the latest API response. */
export const servedBy = signal<string | null>(null);
/** False while the API cannot be reached; the connectivity monitor probes until it comes back. */
export const apiReachable = signal(true);
/** Bumped each time the API comes back, so pages showing a network error fetch again. */
export const reconnects = signal(0);
