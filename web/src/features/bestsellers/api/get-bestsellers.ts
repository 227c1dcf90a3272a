import { api } from "@/lib/api-client";
import type { BestsellerList } from "@/types/api";

export const getBestsellers = (signal?: AbortSignal) =>
  api().get<BestsellerList>("/bestsellers", { signal }).then((r) => r.items);
