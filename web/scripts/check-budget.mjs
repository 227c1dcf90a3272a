// Prints the size of every built JS/CSS file and fails when the JavaScript that index.html
// loads up front (entry scripts and their modulepreloads) exceeds the gzip budget.
import { readFileSync, readdirSync, statSync } from "node:fs";
import { join } from "node:path";
import { gzipSync } from "node:zlib";

const BUDGET_KB = Number(process.env.BUDGET_KB ?? 120);
const dist = new URL("../dist/", import.meta.url).pathname;
const kb = (n) => (n / 1024).toFixed(1).padStart(7) + " KB";
const gz = (file) => gzipSync(readFileSync(join(dist, file)), { level: 9 }).length;

const html = readFileSync(join(dist, "index.html"), "utf8");
const initial = new Set(
  [...html.matchAll(/<(?:script[^>]*\ssrc|link[^>]*rel="modulepreload"[^>]*\shref)="\/?([^"]+\.js)"/g)].map((m) => m[1]),
);

const assets = readdirSync(join(dist, "assets")).filter((f) => /\.(js|css)$/.test(f)).map((f) => `assets/${f}`);
console.log("\nfile".padEnd(52) + "raw".padStart(10) + "gzip".padStart(10));
for (const file of assets) {
  const mark = initial.has(file) ? " (initial)" : "";
  console.log(`${(file + mark).padEnd(51)}${kb(statSync(join(dist, file)).size)}${kb(gz(file))}`);
}
const total = [...initial].reduce((sum, file) => sum + gz(file), 0);
const line = `initial JavaScript: ${(total / 1024).toFixed(1)} KB gzipped (budget ${BUDGET_KB} KB)`;
if (initial.size === 0) {
  console.error("budget: no <script src> found in dist/index.html");
  process.exit(1);
}
if (total > BUDGET_KB * 1024) {
  console.error(`FAIL ${line}`);
  process.exit(1);
}
console.log(`OK   ${line}\n`);
