import type { Category } from "@/types/api";

export function CategoryList({ categories, current }: { categories: Category[]; current?: string }) {
  return (
    <ul class="category-list" aria-label="Categories">
      {categories.map((category) => (
        <li key={category.name}>
          <a
            class="category-chip"
            href={`/books?category=${encodeURIComponent(category.name)}`}
            aria-current={current === category.name ? "page" : undefined}
          >
            {category.name} <span class="category-count">{category.count}</span>
          </a>
        </li>
      ))}
    </ul>
  );
}
