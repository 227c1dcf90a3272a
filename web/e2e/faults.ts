import { execFile, spawn } from "node:child_process";
import { promisify } from "node:util";

const run = promisify(execFile);

/**
 * Fault injection for the journey. Against the sandbox it shells out to
 * `bookstore sandbox outage|restore REGION` (BOOKSTORE_BIN, SANDBOX_PORT_BASE); against the
 * mock it calls the mock's control routes (MOCK_CONTROL_URL).
 */
export type Faults = {
  primaryRegion(): Promise<string>;
  /** The region the routed endpoint sends requests to now (null: none healthy). */
  routedRegion(): Promise<string | null>;
  /** True when the router takes a few health checks to notice an outage (the sandbox, AWS). */
  routerSwitchesLate: boolean;
  /** Resolves as soon as the region is frozen (the blog's failover may still be under way). */
  outage(region: string): Promise<void>;
  restore(region: string): Promise<void>;
};

function sandboxFaults(): Faults {
  const bin = process.env.BOOKSTORE_BIN ?? "../.venv/bin/bookstore";
  const portBase = process.env.SANDBOX_PORT_BASE ? ["--port-base", process.env.SANDBOX_PORT_BASE] : [];
  const sandbox = (...args: string[]) => run(bin, ["sandbox", ...args, ...portBase], { timeout: 120_000 });
  // The rest of `outage` (the blog's failover) finishes in the background; restore waits for it.
  let outageDone: Promise<void> = Promise.resolve();
  const outage = (region: string) =>
    new Promise<void>((frozen, failed) => {
      const child = spawn(bin, ["sandbox", "outage", region, ...portBase], {
        stdio: ["ignore", "pipe", "inherit"],
        env: { ...process.env, PYTHONUNBUFFERED: "1" },
      });
      let out = "";
      child.stdout.on("data", (chunk: Buffer) => {
        out += chunk.toString();
        if (out.includes(" is out:")) frozen();
      });
      outageDone = new Promise((done) => child.on("close", () => done()));
      child.on("error", failed);
      child.on("close", (code) => (code === 0 ? frozen() : failed(new Error(`sandbox outage ${region}: exit ${code}: ${out}`))));
    });
  return {
    async primaryRegion() {
      const { stdout } = await sandbox("status", "--json");
      const status = JSON.parse(stdout) as { regions: Record<string, { role: string }> };
      const primary = Object.entries(status.regions).find(([, r]) => r.role === "primary");
      if (!primary) throw new Error(`no primary region in: ${stdout}`);
      return primary[0];
    },
    async routedRegion() {
      const response = await fetch(`${process.env.FRONTDOOR_URL}/frontdoor/status`);
      return ((await response.json()) as { serving: string | null }).serving;
    },
    routerSwitchesLate: true,
    outage,
    async restore(region) {
      await outageDone;
      await sandbox("restore", region);
    },
  };
}

function mockFaults(control: string): Faults {
  const post = async (path: string) => {
    const response = await fetch(`${control}${path}`, { method: "POST" });
    if (!response.ok) throw new Error(`${path}: HTTP ${response.status}`);
  };
  return {
    primaryRegion: async () => ((await (await fetch(`${control}/status`)).json()) as { primary: string }).primary,
    routedRegion: async () => ((await (await fetch(`${control}/status`)).json()) as { serving: string | null }).serving,
    routerSwitchesLate: false,
    outage: (region) => post(`/outage/${region}`),
    restore: (region) => post(`/restore/${region}`),
  };
}

export const faults = (): Faults =>
  process.env.MOCK_CONTROL_URL ? mockFaults(process.env.MOCK_CONTROL_URL) : sandboxFaults();
