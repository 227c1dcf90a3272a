import { useCallback, useEffect, useRef, useState } from "preact/hooks";
import { isRetryable } from "./errors";
import { reconnects } from "./status";

export type QueryState<T> = {
  data: T | undefined;
  error: unknown;
  loading: boolean;
  reload: () => void;
};

const cache = new Map<string, unknown>();
export const clearQueryCache = (prefix = "") => {
  for (const key of cache.keys()) if (key.startsWith(prefix)) cache.delete(key);
};

/**
 * Stores what a write already answered, so that the page showing it does not depend on
 * reading it back: that read can reach the other region before the write has replicated.
 */
export const primeQuery = <T>(key: string, data: T) => {
  cache.set(key, data);
};

/**
 * Loads data for a key, showing the cached value at once while it revalidates. Pages whose
 * load failed for lack of a region load again by themselves when the API comes back.
 */
export function useQuery<T>(key: string | null, load: (signal: AbortSignal) => Promise<T>): QueryState<T> {
  const [state, setState] = useState<{ data: T | undefined; error: unknown; loading: boolean }>(() => ({
    data: key ? (cache.get(key) as T | undefined) : undefined,
    error: null,
    loading: key !== null,
  }));
  const [version, setVersion] = useState(0);
  const loadRef = useRef(load);
  loadRef.current = load;
  const errorRef = useRef<unknown>(null);
  errorRef.current = state.error;

  useEffect(
    () =>
      reconnects.subscribe(() => {
        if (errorRef.current !== null && isRetryable(errorRef.current)) setVersion((v) => v + 1);
      }),
    [],
  );

  useEffect(() => {
    if (key === null) {
      setState({ data: undefined, error: null, loading: false });
      return;
    }
    const controller = new AbortController();
    setState({ data: cache.get(key) as T | undefined, error: null, loading: true });
    loadRef
      .current(controller.signal)
      .then((data) => {
        cache.set(key, data);
        if (!controller.signal.aborted) setState({ data, error: null, loading: false });
      })
      .catch((error) => {
        if (!controller.signal.aborted) setState((s) => ({ data: s.data, error, loading: false }));
      });
    return () => controller.abort();
  }, [key, version]);

  const reload = useCallback(() => setVersion((v) => v + 1), []);
  return { ...state, reload };
}
