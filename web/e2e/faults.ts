import { execFile } from "node:child_process";
import { promisify } from "node:util";

const run = promisify(execFile);

/**
 * Fault injection for the journey. Against the sandbox it shells out to
 * `bookstore sandbox outage|restore REGION` (BOOKSTORE_BIN, SANDBOX_PORT_BASE); against the
 * mock it calls the mock's control routes (MOCK_CONTROL_URL).
 */
export type Faults = {
  primaryRegion(): Promise<string>;
  outage(region: string): Promise<void>;
  restore(region: string): Promise<void>;
};

function sandboxFaults(): Faults {
  const bin = process.env.BOOKSTORE_BIN ?? "../.venv/bin/bookstore";
  const portBase = process.env.SANDBOX_PORT_BASE ? ["--port-base", process.env.SANDBOX_PORT_BASE] : [];
  const sandbox = (...args: string[]) => run(bin, ["sandbox", ...args, ...portBase], { timeout: 120_000 });
  return {
    async primaryRegion() {
      const { stdout } = await sandbox("status", "--json");
      const status = JSON.parse(stdout) as { regions: Record<string, { role: string }> };
      const primary = Object.entries(status.regions).find(([, r]) => r.role === "primary");
      if (!primary) throw new Error(`no primary region in: ${stdout}`);
      return primary[0];
    },
    outage: async (region) => void (await sandbox("outage", region)),
    restore: async (region) => void (await sandbox("restore", region)),
  };
}

function mockFaults(control: string): Faults {
  const post = async (path: string) => {
    const response = await fetch(`${control}${path}`, { method: "POST" });
    if (!response.ok) throw new Error(`${path}: HTTP ${response.status}`);
  };
  return {
    primaryRegion: async () => ((await (await fetch(`${control}/status`)).json()) as { primary: string }).primary,
    outage: (region) => post(`/outage/${region}`),
    restore: (region) => post(`/restore/${region}`),
  };
}

export const faults = (): Faults =>
  process.env.MOCK_CONTROL_URL ? mockFaults(process.env.MOCK_CONTROL_URL) : sandboxFaults();
