import { describe, expect, it } from "vitest";
import { fromCents, lineTotal, sumLines, toCents } from "./money";

describe("money", () => {
  it("converts decimal strings without float noise", () => {
    expect(toCents("12.99")).toBe(1299);
    expect(toCents("0.1")).toBe(10);
    expect(toCents("7")).toBe(700);
    expect(fromCents(5)).toBe("0.05");
    expect(() => toCents("1.999")).toThrow();
  });

  it("sums lines exactly", () => {
    expect(sumLines([{ price: "0.10", quantity: 3 }, { price: "0.20", quantity: 1 }])).toBe("0.50");
    expect(lineTotal("21.99", 2)).toBe("43.98");
    expect(sumLines([])).toBe("0.00");
  });
});
