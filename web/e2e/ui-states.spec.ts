import { expect, test } from "@playwright/test";

// Runs only against the mock (it needs the mock's control routes): states the sandbox
// journey does not reach, on a phone-sized screen.
const control = process.env.MOCK_CONTROL_URL;
test.skip(!control, "needs e2e/mock-api.mjs (MOCK_CONTROL_URL)");
test.use({ viewport: { width: 390, height: 844 } });

const post = (path: string) => fetch(`${control}${path}`, { method: "POST" });

test("phone layout, offline banner with automatic recovery, blog and its outage", async ({ page }) => {
  await page.goto("/");
  await expect(page.getByRole("list", { name: "Categories" })).toBeVisible();
  await page.screenshot({ path: "test-artifacts/mock/phone-home.png", fullPage: true });

  await page.goto("/books?category=Science%20Fiction");
  await expect(page.getByTestId("book-card").first()).toBeVisible();
  await page.screenshot({ path: "test-artifacts/mock/phone-catalog.png" });

  await post("/down");
  try {
    await page.goto("/bestsellers");
    await expect(page.getByTestId("offline-banner")).toBeVisible();
    await page.screenshot({ path: "test-artifacts/mock/phone-offline.png", fullPage: true });
  } finally {
    await post("/up");
  }
  await expect(page.getByTestId("offline-banner")).toBeHidden({ timeout: 20_000 });
  await expect(page.getByRole("heading", { name: "Best sellers" })).toBeVisible();

  await page.goto("/posts");
  await expect(page.getByRole("link", { name: /Autumn reading list/ })).toBeVisible();
  await page.getByRole("link", { name: /Autumn reading list/ }).click();
  await expect(page.getByRole("heading", { level: 1, name: /Autumn reading list/ })).toBeVisible();
  await page.screenshot({ path: "test-artifacts/mock/phone-blog-post.png", fullPage: true });

  await post("/blog/down");
  try {
    await page.goto("/posts");
    await expect(page.getByTestId("blog-unavailable")).toBeVisible();
    await page.screenshot({ path: "test-artifacts/mock/phone-blog-unavailable.png" });
  } finally {
    await post("/blog/up");
  }
});

test("missing config says what is wrong", async ({ page }) => {
  await page.route("**/config.json", (route) => route.fulfill({ json: { apiUrl: "/api" } }));
  await page.goto("/");
  await expect(page.getByRole("heading", { name: "The bookstore is not configured" })).toBeVisible();
  await expect(page.getByText('"blogUrl" is missing')).toBeVisible();
  await page.screenshot({ path: "test-artifacts/mock/config-error.png" });
});
