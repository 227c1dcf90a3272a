// The API contract, as docs/openapi.json describes it: short names for the generated schemas
// (src/types/openapi.gen.ts, written by `npm run gen:api`).
import type { components } from "./openapi.gen";

type Schemas = components["schemas"];

export type Book = Schemas["Book"];
export type BookPage = Schemas["BookPage"];
export type Category = Schemas["Category"];
export type CategoryList = Schemas["CategoryList"];
export type BestSeller = Schemas["Bestseller"];
export type BestsellerList = Schemas["BestsellerList"];
export type CartItem = Schemas["CartItem"];
export type Cart = Schemas["Cart"];
export type OrderLine = Schemas["OrderLine"];
export type Order = Schemas["Order"];
export type OrderList = Schemas["OrderList"];
export type SetQuantity = Schemas["SetQuantity"];
/** One page of a list: the last page has no cursor (null, or left out). */
export type Page<T> = { items: T[]; nextCursor?: string | null };

export { MAX_QUANTITY } from "./openapi.gen";
