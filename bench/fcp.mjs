// First contentful paint of a URL in headless Chromium, via playwright-core from web/.
// Usage: node bench/fcp.mjs URL RUNS CHROMIUM_PATH; prints one JSON line.
import { createRequire } from "node:module";
import { fileURLToPath } from "node:url";
import { dirname, join } from "node:path";

const here = dirname(fileURLToPath(import.meta.url));
const require = createRequire(join(here, "..", "web", "package.json"));
const { chromium } = require("playwright-core");

const [url, runsText, executablePath] = process.argv.slice(2);
const runs = Math.max(1, Math.min(50, Number(runsText) || 3));
const args = [
  "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
  "--disable-background-networking", "--disable-component-update", "--disable-sync",
];
const browser = await chromium.launch({ executablePath, args, timeout: 60000 });
const samples = [];
try {
  for (let i = 0; i < runs; i++) {
    // A fresh context each time: an empty cache, like a first visit.
    const context = await browser.newContext();
    const page = await context.newPage();
    await page.goto(url, { waitUntil: "load", timeout: 30000 });
    const fcp = await page.evaluate(
      () =>
        new Promise((resolve) => {
          const read = () => performance.getEntriesByName("first-contentful-paint")[0];
          const found = read();
          if (found) return resolve(found.startTime);
          new PerformanceObserver(() => {
            const entry = read();
            if (entry) resolve(entry.startTime);
          }).observe({ type: "paint", buffered: true });
          setTimeout(() => resolve(null), 10000);
        }),
    );
    const nav = await page.evaluate(() => {
      const n = performance.getEntriesByType("navigation")[0];
      return n ? { domContentLoaded: n.domContentLoadedEventEnd, load: n.loadEventEnd } : null;
    });
    samples.push({ fcp, ...nav });
    await context.close();
  }
} finally {
  await browser.close();
}
console.log(JSON.stringify({ samples, userAgent: "chromium" }));
