import { formatMoney } from "@/lib/money";
import type { Book } from "@/types/api";
import { Cover } from "./cover";
import { Rating } from "./rating";

export function BookCard({ book }: { book: Book }) {
  return (
    <article class="book-card" data-testid="book-card">
      <a href={`/books/${encodeURIComponent(book.id)}`} class="book-card-link">
        <Cover book={book} />
        <h3 class="book-card-title">{book.title}</h3>
      </a>
      <p class="book-card-author">{book.author}</p>
      <div class="book-card-meta">
        <span class="price">{formatMoney(book.price)}</span>
        <Rating value={book.rating} />
      </div>
    </article>
  );
}

export function BookGrid({ books, label }: { books: Book[]; label: string }) {
  return (
    <ul class="book-grid" aria-label={label}>
      {books.map((book) => (
        <li key={book.id}>
          <BookCard book={book} />
        </li>
      ))}
    </ul>
  );
}
