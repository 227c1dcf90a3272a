/// <reference types="vitest/config" />
import { fileURLToPath } from "node:url";
import { defineConfig } from "vite";
import { coversPlugin } from "./scripts/covers-plugin.ts";

// Dev and preview only: forward the runtime config, the API and the blog to a backend,
// e.g. the sandbox front door or e2e/mock-api.mjs (BOOKSTORE_BACKEND=http://127.0.0.1:8787).
const backend = process.env.BOOKSTORE_BACKEND;
const proxy = backend
  ? Object.fromEntries(
      ["/config.json", "/api", "/blog"].map((path) => [path, { target: backend, changeOrigin: true }]),
    )
  : undefined;

export default defineConfig({
  resolve: { alias: { "@": fileURLToPath(new URL("./src", import.meta.url)) } },
  oxc: { jsx: { runtime: "automatic", importSource: "preact" } },
  plugins: [coversPlugin(fileURLToPath(new URL("../functions/catalog/covers", import.meta.url)))],
  server: { proxy },
  preview: { proxy },
  build: { target: "es2022", sourcemap: true },
  test: {
    environment: "jsdom",
    globals: true,
    setupFiles: ["src/testing/setup.ts"],
    include: ["src/**/*.test.{ts,tsx}"],
    restoreMocks: true,
  },
});
