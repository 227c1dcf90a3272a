import type { MorePages } from "@/lib/use-more-pages";

/** The error of the last "more" attempt, and the button that loads the next page. */
export function LoadMore({ pages, label }: { pages: MorePages<unknown>; label: string }) {
  return (
    <>
      {pages.error && (
        <p class="form-error" role="alert">
          {pages.error}
        </p>
      )}
      {pages.cursor && (
        <p class="center">
          <button type="button" class="button button-secondary" onClick={pages.loadMore} disabled={pages.loading}>
            {pages.loading ? "Loading…" : label}
          </button>
        </p>
      )}
    </>
  );
}
