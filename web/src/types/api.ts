// The API contract (design.md section 3).
export type Book = {
  id: string;
  title: string;
  author: string;
  category: string;
  price: string;
  rating: number;
  cover: string;
  description: string;
};
export type Page<T> = { items: T[]; nextCursor: string | null };
export type Category = { name: string; count: number };
export type BestSeller = { rank: number; sold: number; book: Book };
export type CartItem = { bookId: string; title: string; price: string; quantity: number };
export type Cart = { items: CartItem[]; total: string };
export type OrderLine = { bookId: string; title: string; price: string; quantity: number };
export type Order = { orderId: string; createdAt: string; items: OrderLine[]; total: string; region: string };
