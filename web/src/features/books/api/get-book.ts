import { api } from "@/lib/api-client";
import type { Book } from "@/types/api";

export const getBook = (bookId: string, signal?: AbortSignal) =>
  api().get<Book>(`/books/${encodeURIComponent(bookId)}`, { signal });
