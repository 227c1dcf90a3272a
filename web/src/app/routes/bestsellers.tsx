import { EmptyState, ErrorState, Loading } from "@/components/states";
import { getBestsellers } from "@/features/bestsellers/api/get-bestsellers";
import { Cover } from "@/features/books/components/cover";
import { formatMoney } from "@/lib/money";
import { useQuery } from "@/lib/use-query";
import { useTitle } from "@/lib/use-title";

export function BestsellersPage() {
  useTitle("Best sellers");
  const best = useQuery("bestsellers", getBestsellers);
  return (
    <div>
      <div class="page-head">
        <h1>Best sellers</h1>
        <p class="muted">The 20 most bought books, counted in every region.</p>
      </div>
      {best.loading && !best.data ? (
        <Loading label="Loading best sellers…" />
      ) : best.error && !best.data ? (
        <ErrorState error={best.error} onRetry={best.reload} />
      ) : !best.data?.length ? (
        <EmptyState title="Nothing has sold yet.">
          <p>
            <a href="/books">Be the first to buy a book.</a>
          </p>
        </EmptyState>
      ) : (
        <ol class="bestseller-list" aria-label="Top 20 best sellers">
          {best.data.map(({ rank, sold, book }) => (
            <li key={book.id} class="bestseller" data-testid="bestseller" data-book-id={book.id}>
              <span class="bestseller-rank" aria-label={`Rank ${rank}`}>
                {rank}
              </span>
              <Cover book={book} size="small" />
              <div class="bestseller-info">
                <a href={`/books/${encodeURIComponent(book.id)}`} class="bestseller-title">
                  {book.title}
                </a>
                <span class="muted">{book.author}</span>
              </div>
              <span class="bestseller-sold">
                <strong>{sold.toLocaleString()}</strong> {sold === 1 ? "copy" : "copies"} sold
              </span>
              <span class="price">{formatMoney(book.price)}</span>
            </li>
          ))}
        </ol>
      )}
    </div>
  );
}
