import { api } from "@/lib/api-client";
import type { BestSeller } from "@/types/api";

export const getBestsellers = (signal?: AbortSignal) =>
  api().get<{ items: BestSeller[] }>("/bestsellers", { signal }).then((r) => r.items);
