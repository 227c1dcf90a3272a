import { useRoute } from "preact-iso";
import { ErrorState, Loading } from "@/components/states";
import { getBook } from "@/features/books/api/get-book";
import { Cover } from "@/features/books/components/cover";
import { Rating } from "@/features/books/components/rating";
import { AddToCartButton } from "@/features/cart/components/add-to-cart";
import { ApiError } from "@/lib/errors";
import { formatMoney } from "@/lib/money";
import { useQuery } from "@/lib/use-query";
import { useTitle } from "@/lib/use-title";

export function BookPage() {
  const { params } = useRoute();
  const id = params.id;
  const book = useQuery(`book:${id}`, (signal) => getBook(id, signal));
  useTitle(book.data?.title ?? "Book");

  if (book.loading && !book.data) return <Loading label="Loading the book…" />;
  if (book.error && !book.data) {
    if (book.error instanceof ApiError && book.error.status === 404) {
      return (
        <div class="state state-empty">
          <h1>We don't have that book.</h1>
          <p>
            <a href="/books">Browse the catalogue</a>
          </p>
        </div>
      );
    }
    return <ErrorState error={book.error} onRetry={book.reload} />;
  }
  const b = book.data!;
  return (
    <article class="book-detail">
      <nav aria-label="Breadcrumb" class="breadcrumb">
        <a href="/books">Books</a> › <a href={`/books?category=${encodeURIComponent(b.category)}`}>{b.category}</a>
      </nav>
      <div class="book-detail-grid">
        <Cover book={b} size="large" />
        <div class="book-detail-info">
          <h1>{b.title}</h1>
          <p class="book-author">by {b.author}</p>
          <Rating value={b.rating} />
          <p class="book-price">{formatMoney(b.price)}</p>
          <AddToCartButton bookId={b.id} title={b.title} />
          <h2 class="visually-hidden">Description</h2>
          <p class="book-description">{b.description}</p>
        </div>
      </div>
    </article>
  );
}
