import { expect, test, type Page, type Request } from "@playwright/test";
import { faults } from "./faults";

// The shopper's journey: sign up, browse a category, search, add two books, change a
// quantity, check out, see the order in history and the book in best sellers; then take the
// primary region down and add to cart within a second, before the router notices: the app's
// own failover carries it to the other region (the badge switches), a reload shows the
// catalog at once, and the cart and orders still work; restore.
// Screenshots of every step go to test-artifacts/.

const ARTIFACTS = `test-artifacts/${process.env.FRONTDOOR_URL ? "sandbox" : "mock"}`;
let step = 0;
const shot = async (page: Page, name: string) => {
  step++;
  await page.screenshot({ path: `${ARTIFACTS}/${String(step).padStart(2, "0")}-${name}.png`, fullPage: true });
};

const badge = (page: Page) => page.getByTestId("region-badge");
const badgeRegion = async (page: Page) => (await badge(page).getAttribute("data-region")) ?? "";

type Picked = { id: string; title: string };

async function openBook(page: Page, book: Picked) {
  await page.goto(`/books/${encodeURIComponent(book.id)}`);
  await expect(page.getByRole("heading", { level: 1, name: book.title })).toBeVisible();
}

async function addToCart(page: Page, book: Picked) {
  await openBook(page, book);
  await page.getByRole("button", { name: "Add to cart" }).click();
  await expect(page.getByText(`Added “${book.title}” to your cart.`)).toBeVisible();
}

async function checkOut(page: Page): Promise<string> {
  await page.goto("/cart");
  await page.getByRole("link", { name: "Go to checkout" }).click();
  await expect(page.getByRole("heading", { name: "Review your order" })).toBeVisible();
  await page.getByRole("button", { name: "Place order" }).click();
  await expect(page.getByTestId("order-confirmation")).toBeVisible({ timeout: 60_000 });
  return (await page.getByTestId("order-id").textContent())!.trim();
}

test("a customer shops, and keeps shopping through a regional outage", async ({ page }) => {
  const injector = faults();
  const email = `e2e-${Date.now()}@example.com`;
  const password = "Bookworm-2026!";
  let books: Picked[] = [];
  let primary = "";

  await test.step("home", async () => {
    await page.goto("/");
    await expect(page.getByRole("heading", { name: "Find your next favourite book." })).toBeVisible();
    await expect(page.getByRole("list", { name: "Categories" })).toBeVisible();
    await expect(badge(page)).not.toHaveAttribute("data-region", "");
    await shot(page, "home");
  });

  await test.step("sign up", async () => {
    await page.getByRole("link", { name: "Create account" }).click();
    await page.getByLabel("E-mail").fill(email);
    await page.getByLabel("Password").fill(password);
    await shot(page, "sign-up");
    await page.getByRole("button", { name: "Create account" }).click();
    await expect(page.getByRole("button", { name: "Sign out" })).toBeVisible();
  });

  await test.step("browse a category", async () => {
    await page.goto("/");
    const category = page.getByRole("list", { name: "Categories" }).getByRole("link").first();
    const name = (await category.textContent())!.replace(/\d+\s*$/, "").trim();
    await category.click();
    await expect(page.getByRole("heading", { level: 1, name })).toBeVisible();
    const cards = page.getByTestId("book-card");
    await expect(cards.nth(2)).toBeVisible();
    books = await cards.evaluateAll((nodes) =>
      nodes.slice(0, 3).map((node) => ({
        id: decodeURIComponent(node.querySelector("a")!.getAttribute("href")!.split("/").pop()!),
        title: node.querySelector("h3")!.textContent!.trim(),
      })),
    );
    await shot(page, "category");
  });

  await test.step("search", async () => {
    await page.getByRole("searchbox", { name: /Search (in|all)/ }).fill(books[0].title);
    await page.getByRole("main").getByRole("button", { name: "Search" }).click();
    await expect(page.getByRole("heading", { level: 1, name: `Results for “${books[0].title}”` })).toBeVisible();
    const hit = page.getByTestId("book-card").filter({ hasText: books[0].title }).first();
    await expect(hit).toBeVisible();
    await shot(page, "search");
    await hit.getByRole("link").click();
    await expect(page.getByRole("heading", { level: 1, name: books[0].title })).toBeVisible();
    await shot(page, "book-detail");
  });

  await test.step("add two books and change a quantity", async () => {
    await addToCart(page, books[0]);
    await addToCart(page, books[1]);
    await page.getByRole("link", { name: /Cart/ }).first().click();
    await expect(page.getByTestId("cart-line")).toHaveCount(2);
    const total = await page.getByTestId("cart-total").textContent();
    await page.getByRole("button", { name: `Increase Quantity of ${books[0].title}` }).click();
    await expect(page.getByRole("spinbutton", { name: `Quantity of ${books[0].title}` })).toHaveValue("2");
    await expect(page.getByTestId("cart-total")).not.toHaveText(total!);
    await expect(page.getByTestId("cart-count")).toHaveText("3");
    await shot(page, "cart");
  });

  let firstOrder = "";
  await test.step("check out", async () => {
    await page.getByRole("link", { name: "Go to checkout" }).click();
    await expect(page.getByRole("heading", { name: "Review your order" })).toBeVisible();
    await shot(page, "checkout-review");
    await page.getByRole("button", { name: "Place order" }).click();
    await expect(page.getByTestId("order-confirmation")).toBeVisible({ timeout: 60_000 });
    firstOrder = (await page.getByTestId("order-id").textContent())!.trim();
    await shot(page, "confirmation");
  });

  await test.step("order history", async () => {
    await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "My orders" }).click();
    await expect(page.locator(`[data-testid=order-card][data-order-id="${firstOrder}"]`)).toBeVisible();
    await shot(page, "orders");
  });

  await test.step("best sellers include the bought book", async () => {
    // The leaderboard is fed by the order stream, so it may lag the order by a moment.
    await expect(async () => {
      await page.goto("/bestsellers");
      await expect(page.locator(`[data-testid=bestseller][data-book-id="${books[0].id}"]`)).toBeVisible({ timeout: 3_000 });
    }).toPass({ timeout: 60_000 });
    await shot(page, "bestsellers");
  });

  primary = await injector.primaryRegion();
  try {
    await test.step(`outage of the primary region (${primary}): add to cart at once`, async () => {
      await openBook(page, books[2]);
      await expect(badge(page)).toHaveAttribute("data-region", primary);
      await injector.outage(primary);
      const faultAt = Date.now();
      // Within a second of the fault, before the router has noticed: the app's own failover
      // must carry the cart change to the other region, with no error shown.
      const clickedAfterMs = Date.now() - faultAt;
      await page.getByRole("button", { name: "Add to cart" }).click();
      const routedTo = await injector.routedRegion();
      await expect(page.getByText(`Added “${books[2].title}” to your cart.`)).toBeVisible();
      await expect(page.getByText("cannot be reached")).toHaveCount(0);
      expect(clickedAfterMs).toBeLessThan(1_000);
      if (injector.routerSwitchesLate) expect(routedTo, "the front door had already switched").toBe(primary);
      await expect(badge(page)).not.toHaveAttribute("data-region", primary);
      await expect(badge(page)).not.toHaveAttribute("data-region", "");
      test.info().annotations.push({ type: "failover", description: `${primary} -> ${await badgeRegion(page)} in ${clickedAfterMs} ms` });
      await shot(page, "outage-added-to-cart");
    });

    await test.step("a reload of /books during the outage shows the catalog at once", async () => {
      const survivor = await badgeRegion(page);
      // Still moved: the survivor's own endpoint. Router switched meanwhile: the routed one,
      // which now answers from the survivor. Either way no request waits out the frozen region
      // (none is cut off by the first timeout); only the health check of a page load may be.
      const cutOff: string[] = [];
      const onFailed = (request: Request) => {
        const path = new URL(request.url()).pathname;
        if (/^\/api(-[a-z0-9-]+)?\//.test(path) && !path.endsWith("/health")) cutOff.push(`${request.method()} ${path}`);
      };
      const catalog = page.waitForResponse((r) => /^\/api(-[a-z0-9-]+)?\/books$/.test(new URL(r.url()).pathname), { timeout: 15_000 });
      const started = Date.now();
      // Timed to the first book on screen, not to the load event (which waits for every cover).
      await page.goto("/books", { waitUntil: "commit" });
      // From the new document on: what the old page had in flight is cut off by the reload.
      page.on("requestfailed", onFailed);
      await expect(page.getByTestId("book-card").first()).toBeVisible();
      const elapsedMs = Date.now() - started;
      const answer = await catalog;
      page.off("requestfailed", onFailed);
      expect(answer.status()).toBe(200);
      expect(answer.headers()["x-bookstore-region"]).toBe(survivor);
      expect(cutOff, "requests that waited for the frozen region").toEqual([]);
      test.info().annotations.push({ type: "reload", description: `${new URL(answer.url()).pathname} in ${elapsedMs} ms` });
      await shot(page, "outage-catalog-reloaded");
    });

    await test.step("cart and orders still work during the outage", async () => {
      await page.goto("/cart");
      await expect(page.getByTestId("cart-line")).toHaveCount(1);
      await shot(page, "outage-cart");
      const secondOrder = await checkOut(page);
      await shot(page, "outage-confirmation");
      await page.goto("/orders");
      await expect(page.locator(`[data-testid=order-card][data-order-id="${secondOrder}"]`)).toBeVisible();
      await expect(page.locator(`[data-testid=order-card][data-order-id="${firstOrder}"]`)).toBeVisible();
      expect(await badgeRegion(page)).not.toBe(primary);
      await shot(page, "outage-orders");
    });
  } finally {
    await injector.restore(primary);
  }

  await test.step("restore", async () => {
    await expect(async () => {
      await page.goto("/orders");
      await expect(page.getByTestId("order-card").first()).toBeVisible({ timeout: 5_000 });
    }).toPass({ timeout: 120_000 });
    await shot(page, "restored");
  });
});
