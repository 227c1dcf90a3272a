import { BookCard } from "@/features/books/components/book-card";
import { CategoryList } from "@/features/books/components/category-list";
import { getCategories } from "@/features/books/api/get-categories";
import { getBestsellers } from "@/features/bestsellers/api/get-bestsellers";
import { EmptyState, ErrorState, Loading } from "@/components/states";
import { useQuery } from "@/lib/use-query";
import { useTitle } from "@/lib/use-title";

export function HomePage() {
  useTitle("");
  const categories = useQuery("categories", getCategories);
  const best = useQuery("bestsellers", getBestsellers);

  return (
    <>
      <section class="hero">
        <div class="hero-text">
          <p class="eyebrow">Open in two regions, all day, every day</p>
          <h1>Find your next favourite book.</h1>
          <p class="lede">Browse by category, see what everyone is reading, and check out in seconds.</p>
          <p>
            <a class="button button-primary button-large" href="/books">
              Browse all books
            </a>{" "}
            <a class="button button-secondary button-large" href="/bestsellers">
              Best sellers
            </a>
          </p>
        </div>
        <div class="hero-art" aria-hidden="true">
          <span class="spine spine-1" />
          <span class="spine spine-2" />
          <span class="spine spine-3" />
          <span class="spine spine-4" />
          <span class="spine spine-5" />
        </div>
      </section>

      <section class="section" aria-labelledby="home-categories">
        <h2 id="home-categories">Browse by category</h2>
        {categories.loading && !categories.data ? (
          <Loading label="Loading categories…" />
        ) : categories.error && !categories.data ? (
          <ErrorState error={categories.error} onRetry={categories.reload} />
        ) : categories.data?.length ? (
          <CategoryList categories={categories.data} />
        ) : (
          <EmptyState title="No categories yet." />
        )}
      </section>

      <section class="section" aria-labelledby="home-best">
        <div class="section-head">
          <h2 id="home-best">Best sellers</h2>
          <a href="/bestsellers">See the top 20 →</a>
        </div>
        {best.loading && !best.data ? (
          <Loading label="Loading best sellers…" />
        ) : best.error && !best.data ? (
          <ErrorState error={best.error} onRetry={best.reload} />
        ) : best.data?.length ? (
          <ol class="book-grid ranked" aria-label="Top best sellers">
            {best.data.slice(0, 5).map((entry) => (
              <li key={entry.book.id}>
                <span class="rank-badge" aria-label={`Number ${entry.rank}`}>
                  {entry.rank}
                </span>
                <BookCard book={entry.book} />
              </li>
            ))}
          </ol>
        ) : (
          <EmptyState title="No best sellers yet.">
            <p>Be the first: every order counts.</p>
          </EmptyState>
        )}
      </section>
    </>
  );
}
