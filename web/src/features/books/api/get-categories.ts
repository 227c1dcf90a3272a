import { api } from "@/lib/api-client";
import type { CategoryList } from "@/types/api";

export const getCategories = (signal?: AbortSignal) =>
  api().get<CategoryList>("/categories", { signal }).then((r) => r.items);
