import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import type { Plugin } from "vite";

// Book covers are site paths (/covers/<id>.svg) whose files live beside the catalog in
// functions/catalog/covers. The build copies them into dist/covers; dev serves them in place.
export function coversPlugin(coversDir: string): Plugin {
  const svgs = () => (existsSync(coversDir) ? readdirSync(coversDir).filter((f) => f.endsWith(".svg")) : []);
  const warnMissing = (log: (msg: string) => void) =>
    log(`covers: ${coversDir} has no .svg files; books will show generated placeholder covers`);

  return {
    name: "bookstore-covers",
    configureServer(server) {
      if (svgs().length === 0) warnMissing((m) => server.config.logger.warn(m));
      server.middlewares.use("/covers", (req, res, next) => {
        const name = decodeURIComponent((req.url ?? "/").split("?")[0]).replace(/^\/+/, "");
        const file = join(coversDir, name);
        if (!/^[\w.-]+\.svg$/.test(name) || !existsSync(file)) return next();
        res.setHeader("Content-Type", "image/svg+xml");
        res.end(readFileSync(file));
      });
    },
    generateBundle() {
      const files = svgs();
      if (files.length === 0) return warnMissing((m) => this.warn(m));
      for (const name of files) {
        this.emitFile({ type: "asset", fileName: `covers/${name}`, source: readFileSync(join(coversDir, name)) });
      }
    },
  };
}
