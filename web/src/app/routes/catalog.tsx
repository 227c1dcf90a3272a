import { useLocation } from "preact-iso";
import { useEffect, useState } from "preact/hooks";
import { LoadMore } from "@/components/load-more";
import { EmptyState, ErrorState, Loading } from "@/components/states";
import { getBooks } from "@/features/books/api/get-books";
import { getCategories } from "@/features/books/api/get-categories";
import { BookGrid } from "@/features/books/components/book-card";
import { CategoryList } from "@/features/books/components/category-list";
import { useMorePages } from "@/lib/use-more-pages";
import { useQuery } from "@/lib/use-query";
import { useTitle } from "@/lib/use-title";

const PAGE_SIZE = 24;

export function CatalogPage() {
  const { query, route } = useLocation();
  const category = query.category ?? "";
  const q = query.q ?? "";
  const [search, setSearch] = useState(q);
  useTitle(q ? `Search: ${q}` : category || "All books");

  const categories = useQuery("categories", getCategories);
  const first = useQuery(`books:${category}:${q}`, (signal) => getBooks({ category, q, limit: PAGE_SIZE }, signal));
  useEffect(() => setSearch(q), [q]);

  const navigate = (next: { category?: string; q?: string }) => {
    const params = new URLSearchParams();
    if (next.category) params.set("category", next.category);
    if (next.q) params.set("q", next.q);
    const text = params.toString();
    route(text ? `/books?${text}` : "/books");
  };

  const submit = (event: Event) => {
    event.preventDefault();
    navigate({ category, q: search.trim() });
  };

  const pages = useMorePages(first.data, (cursor) => getBooks({ category, q, limit: PAGE_SIZE, cursor }), `${category}:${q}`);
  const books = pages.items;
  const cursor = pages.cursor;

  const heading = q ? `Results for “${q}”` : category || "All books";

  return (
    <div class="catalog">
      <div class="page-head">
        <h1>{heading}</h1>
        {(q || category) && (
          <p class="muted">
            {q && category ? `in ${category} · ` : ""}
            <a href="/books">Clear filters</a>
          </p>
        )}
      </div>
      <form class="catalog-search" role="search" onSubmit={submit}>
        <label for="catalog-q">Search {category ? `in ${category}` : "all books"}</label>
        <div class="inline-field">
          <input id="catalog-q" type="search" value={search} placeholder="Title or author" onInput={(e) => setSearch(e.currentTarget.value)} />
          <button type="submit" class="button button-primary">
            Search
          </button>
        </div>
      </form>
      {categories.data && (
        <nav aria-label="Filter by category" class="catalog-categories">
          <CategoryList categories={categories.data} current={category} />
        </nav>
      )}
      {first.loading && !first.data ? (
        <Loading label="Loading books…" />
      ) : first.error && !first.data ? (
        <ErrorState error={first.error} onRetry={first.reload} />
      ) : books.length === 0 ? (
        <EmptyState title={q ? `No books match “${q}”.` : "No books here yet."}>
          <p>Try another word, or browse all categories.</p>
        </EmptyState>
      ) : (
        <>
          <p class="muted" role="status">
            Showing {books.length} {books.length === 1 ? "book" : "books"}
            {cursor ? " (more available)" : ""}
          </p>
          <BookGrid books={books} label={heading} />
          <LoadMore pages={pages} label="Show more books" />
        </>
      )}
    </div>
  );
}
