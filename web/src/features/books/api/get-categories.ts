import { api } from "@/lib/api-client";
import type { Category } from "@/types/api";

export const getCategories = (signal?: AbortSignal) =>
  api().get<{ items: Category[] }>("/categories", { signal }).then((r) => r.items);
