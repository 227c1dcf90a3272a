import { render, screen, waitFor } from "@testing-library/preact";
import userEvent from "@testing-library/user-event";
import { beforeEach, describe, expect, it } from "vitest";
import { json, mockFetch } from "@/testing/fetch-mock";
import { useTestApi } from "@/testing/services";
import { cart } from "../cart-store";
import { CartView } from "./cart-view";

const initial = {
  items: [
    { bookId: "dune", title: "Dune", price: "14.99", quantity: 1 },
    { bookId: "emma", title: "Emma", price: "7.50", quantity: 2 },
  ],
  total: "29.99",
};

function CartFromStore() {
  return cart.value ? <CartView cart={cart.value} /> : null;
}

describe("CartView", () => {
  beforeEach(() => {
    useTestApi();
    cart.value = structuredClone(initial);
  });

  it("lists lines with labelled quantities, alt text and the total", () => {
    mockFetch(() => json(200, {}));
    render(<CartFromStore />);
    expect(screen.getAllByTestId("cart-line")).toHaveLength(2);
    expect(screen.getByRole("spinbutton", { name: "Quantity of Emma" })).toHaveValue(2);
    expect(screen.getByRole("img", { name: /Cover of Dune/ })).toBeInTheDocument();
    expect(screen.getByTestId("cart-total")).toHaveTextContent("$29.99");
  });

  it("changes a quantity with PUT and updates the total", async () => {
    const { calls } = mockFetch((call) => json(200, { bookId: "dune", title: "Dune", price: "14.99", quantity: (call.body as { quantity: number }).quantity }));
    render(<CartFromStore />);
    await userEvent.click(screen.getByRole("button", { name: "Increase Quantity of Dune" }));
    await waitFor(() => expect(screen.getByTestId("cart-total")).toHaveTextContent("$44.98"));
    expect(calls[0]).toMatchObject({ method: "PUT", url: "/api/cart/dune", body: { quantity: 2 } });
    expect(calls[0].headers.authorization).toBe("Bearer token-1");
  });

  it("accepts a typed quantity on Enter", async () => {
    const { calls } = mockFetch(() => json(200, { bookId: "emma", title: "Emma", price: "7.50", quantity: 5 }));
    render(<CartFromStore />);
    const input = screen.getByRole("spinbutton", { name: "Quantity of Emma" });
    await userEvent.clear(input);
    await userEvent.type(input, "5{Enter}");
    await waitFor(() => expect(screen.getByTestId("cart-total")).toHaveTextContent("$52.49"));
    expect(calls[0].body).toEqual({ quantity: 5 });
  });

  it("removes a line with DELETE", async () => {
    const { calls } = mockFetch(() => new Response(null, { status: 204 }));
    render(<CartFromStore />);
    await userEvent.click(screen.getByRole("button", { name: "Remove Dune from cart" }));
    await waitFor(() => expect(screen.getAllByTestId("cart-line")).toHaveLength(1));
    expect(calls[0]).toMatchObject({ method: "DELETE", url: "/api/cart/dune" });
    expect(screen.getByTestId("cart-total")).toHaveTextContent("$15.00");
  });

  it("shows the API's message when a change fails", async () => {
    mockFetch(() => json(400, { error: { code: "invalid", message: "quantity must be 1..99", field: "quantity" } }));
    render(<CartFromStore />);
    await userEvent.click(screen.getByRole("button", { name: "Increase Quantity of Dune" }));
    expect(await screen.findByRole("alert")).toHaveTextContent("quantity must be 1..99");
  });
});
