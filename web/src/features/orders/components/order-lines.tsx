import { formatMoney, lineTotal } from "@/lib/money";
import type { OrderLine } from "@/types/api";

export function OrderLines({ items, total, caption }: { items: OrderLine[]; total: string; caption: string }) {
  return (
    <table class="order-lines">
      <caption class="visually-hidden">{caption}</caption>
      <thead>
        <tr>
          <th scope="col">Book</th>
          <th scope="col" class="num">
            Price
          </th>
          <th scope="col" class="num">
            Qty
          </th>
          <th scope="col" class="num">
            Subtotal
          </th>
        </tr>
      </thead>
      <tbody>
        {items.map((item) => (
          <tr key={item.bookId}>
            <td>
              <a href={`/books/${encodeURIComponent(item.bookId)}`}>{item.title}</a>
            </td>
            <td class="num">{formatMoney(item.price)}</td>
            <td class="num">{item.quantity}</td>
            <td class="num">{formatMoney(lineTotal(item.price, item.quantity))}</td>
          </tr>
        ))}
      </tbody>
      <tfoot>
        <tr>
          <th scope="row" colSpan={3}>
            Total
          </th>
          <td class="num" data-testid="order-total">
            {formatMoney(total)}
          </td>
        </tr>
      </tfoot>
    </table>
  );
}

export const formatDate = (iso: string) => {
  const date = new Date(iso);
  return Number.isNaN(date.getTime())
    ? iso
    : date.toLocaleString(undefined, { dateStyle: "medium", timeStyle: "short" });
};
