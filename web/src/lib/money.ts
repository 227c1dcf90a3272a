// Money arrives as a decimal string ("12.99"). Sums are done in integer cents so the display
// never shows float noise; the server's total stays the authoritative one.

export function toCents(amount: string): number {
  const match = /^(-?)(\d+)(?:\.(\d{1,2}))?$/.exec(amount.trim());
  if (!match) throw new Error(`not a money amount: ${amount}`);
  const cents = Number(match[2]) * 100 + Number((match[3] ?? "0").padEnd(2, "0"));
  return match[1] ? -cents : cents;
}

export function fromCents(cents: number): string {
  const sign = cents < 0 ? "-" : "";
  const abs = Math.abs(cents);
  return `${sign}${Math.floor(abs / 100)}.${String(abs % 100).padStart(2, "0")}`;
}

export const lineTotal = (price: string, quantity: number) => fromCents(toCents(price) * quantity);

export const sumLines = (lines: { price: string; quantity: number }[]) =>
  fromCents(lines.reduce((sum, line) => sum + toCents(line.price) * line.quantity, 0));

let currency = "USD";
export const setCurrency = (code: string) => {
  currency = code;
};

export function formatMoney(amount: string): string {
  try {
    return new Intl.NumberFormat(undefined, { style: "currency", currency }).format(Number(amount));
  } catch {
    return amount;
  }
}
