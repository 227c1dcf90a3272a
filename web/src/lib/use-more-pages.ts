import { useEffect, useRef, useState } from "preact/hooks";
import type { Page } from "@/types/api";
import { errorMessage } from "./errors";

type More<T> = { items: T[]; cursor: string | null; loading: boolean; error: string | null };

export type MorePages<T> = {
  /** The first page's items, then every page loaded since. */
  items: T[];
  /** Where the next page starts; null when there is none. */
  cursor: string | null;
  loading: boolean;
  error: string | null;
  loadMore: () => Promise<void>;
};

/**
 * Pages after a first one (loaded with useQuery), fetched on demand with the API's
 * `nextCursor`. A failed page keeps what is shown and its cursor, so "more" can be tried
 * again. The pages are dropped when `resetKey` changes (another filter, another list).
 */
export function useMorePages<T>(
  first: Page<T> | undefined,
  fetchPage: (cursor: string) => Promise<Page<T>>,
  resetKey = "",
): MorePages<T> {
  const [more, setMore] = useState<More<T>>();
  // A page that arrives after a reset belongs to the list before it and is dropped.
  const current = useRef(resetKey);
  current.current = resetKey;
  useEffect(() => setMore(undefined), [resetKey]);
  const items = [...(first?.items ?? []), ...(more?.items ?? [])];
  const cursor = more ? more.cursor : (first?.nextCursor ?? null);

  const loadMore = async () => {
    if (!cursor) return;
    const asked = resetKey;
    setMore((m) => ({ items: m?.items ?? [], cursor, loading: true, error: null }));
    try {
      const page = await fetchPage(cursor);
      if (current.current !== asked) return;
      setMore((m) => ({ items: [...(m?.items ?? []), ...page.items], cursor: page.nextCursor ?? null, loading: false, error: null }));
    } catch (error) {
      if (current.current !== asked) return;
      setMore((m) => ({ items: m?.items ?? [], cursor, loading: false, error: errorMessage(error) }));
    }
  };

  return { items, cursor, loading: more?.loading ?? false, error: more?.error ?? null, loadMore };
}
