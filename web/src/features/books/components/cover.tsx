import { useState } from "preact/hooks";
import type { Book } from "@/types/api";

const PALETTE = ["#234e52", "#7b341e", "#2c5282", "#553c9a", "#744210", "#22543d", "#702459", "#1a365d"];
const hue = (id: string) => PALETTE[[...id].reduce((h, c) => (h * 31 + c.charCodeAt(0)) >>> 0, 7) % PALETTE.length];

type Props = { book: Pick<Book, "id" | "title" | "author" | "cover">; size?: "small" | "medium" | "large" };

/** The book's SVG cover, or a typeset stand-in when the image is missing. */
export function Cover({ book, size = "medium" }: Props) {
  const [failed, setFailed] = useState(!book.cover);
  const alt = `Cover of ${book.title} by ${book.author}`;
  if (failed) {
    return (
      <div class={`cover cover-${size} cover-fallback`} style={{ background: hue(book.id) }} role="img" aria-label={alt}>
        <span class="cover-fallback-title">{book.title}</span>
        <span class="cover-fallback-author">{book.author}</span>
      </div>
    );
  }
  return (
    <img
      class={`cover cover-${size}`}
      src={book.cover}
      alt={alt}
      loading="lazy"
      decoding="async"
      onError={() => setFailed(true)}
    />
  );
}
