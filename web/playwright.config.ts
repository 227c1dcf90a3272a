import { defineConfig } from "@playwright/test";

// Runs the journey against FRONTDOOR_URL (the sandbox front door) when it is set; otherwise
// against `vite preview` of dist/ backed by e2e/mock-api.mjs. Never downloads a browser: it
// drives Debian's Chromium (CHROMIUM_PATH, default /usr/bin/chromium).
const frontDoor = process.env.FRONTDOOR_URL;
const MOCK_PORT = Number(process.env.MOCK_PORT ?? 8787);
const PREVIEW_PORT = Number(process.env.PREVIEW_PORT ?? 4173);

if (!frontDoor) process.env.MOCK_CONTROL_URL ??= `http://127.0.0.1:${MOCK_PORT}/__mock`;

export default defineConfig({
  testDir: "e2e",
  outputDir: "test-artifacts/playwright",
  timeout: 6 * 60_000,
  expect: { timeout: 15_000 },
  fullyParallel: false,
  workers: 1,
  retries: 0,
  reporter: [["list"], ["html", { open: "never", outputFolder: "test-artifacts/report" }]],
  use: {
    baseURL: frontDoor ?? `http://127.0.0.1:${PREVIEW_PORT}`,
    viewport: { width: 1280, height: 860 },
    trace: "retain-on-failure",
    screenshot: "only-on-failure",
    launchOptions: {
      executablePath: process.env.CHROMIUM_PATH ?? "/usr/bin/chromium",
      args: [
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
      ],
    },
  },
  webServer: frontDoor
    ? undefined
    : [
        { command: `node e2e/mock-api.mjs --port ${MOCK_PORT}`, url: `http://127.0.0.1:${MOCK_PORT}/__mock/status`, reuseExistingServer: false },
        {
          command: `npx vite preview --host 127.0.0.1 --port ${PREVIEW_PORT} --strictPort`,
          url: `http://127.0.0.1:${PREVIEW_PORT}/`,
          env: { BOOKSTORE_BACKEND: `http://127.0.0.1:${MOCK_PORT}` },
          reuseExistingServer: false,
        },
      ],
});
