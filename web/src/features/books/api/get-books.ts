import { api, query } from "@/lib/api-client";
import type { BookPage } from "@/types/api";

export type BookFilter = { category?: string; q?: string; limit?: number; cursor?: string | null };

export const getBooks = (filter: BookFilter, signal?: AbortSignal) =>
  api().get<BookPage>(`/books${query(filter)}`, { signal });
