import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { MAX_QUANTITY } from "./api";

describe("generated API types", () => {
  it("take the cart-line limit from the OpenAPI document", () => {
    const document = JSON.parse(readFileSync(resolve(__dirname, "../../../docs/openapi.json"), "utf8"));
    expect(MAX_QUANTITY).toBe(document.components.schemas.SetQuantity.properties.quantity.maximum);
    expect(MAX_QUANTITY).toBeGreaterThan(1);
  });
});
