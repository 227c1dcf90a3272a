export type CognitoConfig = { endpoint: string; region: string; userPoolId: string; clientId: string };
export type AppConfig = {
  apiUrl: string;
  /** Region name -> that region's own API endpoint, for the client's failover; {} when absent. */
  regionalApis: Record<string, string>;
  blogUrl: string;
  cognito: CognitoConfig;
  currency: string;
};

export class ConfigError extends Error {
  constructor(
    readonly source: string,
    readonly problems: string[],
  ) {
    super(`${source}: ${problems.join("; ")}`);
  }
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);
const isUrlOrPath = (v: string) => v.startsWith("/") || /^https?:\/\/[^/\s]+/.test(v);
const trimSlash = (v: string) => v.replace(/\/+$/, "");

/** Validates the runtime configuration and names every field that is missing or wrong. */
export function parseConfig(raw: unknown, source = "/config.json"): AppConfig {
  if (!isObject(raw)) throw new ConfigError(source, ["the file must contain a JSON object"]);
  const problems: string[] = [];
  const text = (obj: Record<string, unknown>, key: string, path: string, check?: (v: string) => boolean, hint = "") => {
    const value = obj[key];
    if (typeof value !== "string" || value.trim() === "") {
      problems.push(`"${path}" is missing (expected a non-empty string)`);
      return "";
    }
    if (check && !check(value)) problems.push(`"${path}" is "${value}", ${hint}`);
    return value.trim();
  };

  const apiUrl = text(raw, "apiUrl", "apiUrl", isUrlOrPath, "expected a path like /api or an http(s) URL");
  const blogUrl = text(raw, "blogUrl", "blogUrl", isUrlOrPath, "expected a path like /blog or an http(s) URL");
  let cognito: CognitoConfig = { endpoint: "", region: "", userPoolId: "", clientId: "" };
  if (!isObject(raw.cognito)) {
    problems.push(`"cognito" is missing (expected an object with endpoint, region, userPoolId, clientId)`);
  } else {
    const c = raw.cognito;
    cognito = {
      endpoint: trimSlash(text(c, "endpoint", "cognito.endpoint", (v) => /^https?:\/\//.test(v), "expected an http(s) URL")),
      region: text(c, "region", "cognito.region"),
      userPoolId: text(c, "userPoolId", "cognito.userPoolId"),
      clientId: text(c, "clientId", "cognito.clientId"),
    };
  }
  // Optional, so a config written before regional endpoints existed still loads (no failover).
  const regionalApis: Record<string, string> = {};
  if (raw.regionalApis !== undefined) {
    if (!isObject(raw.regionalApis)) {
      problems.push(`"regionalApis" is not an object (expected region names mapped to paths like /api-eu-west-1 or http(s) URLs)`);
    } else {
      for (const name of Object.keys(raw.regionalApis)) {
        if (!/^[a-z]{2}(-[a-z]+)+-\d+$/.test(name)) problems.push(`"regionalApis" has "${name}", expected a region name like eu-west-1`);
        const url = text(raw.regionalApis, name, `regionalApis.${name}`, isUrlOrPath, "expected a path like /api-eu-west-1 or an http(s) URL");
        if (url) regionalApis[name] = trimSlash(url);
      }
    }
  }
  const currency = typeof raw.currency === "string" && /^[A-Z]{3}$/.test(raw.currency) ? raw.currency : "USD";
  if (problems.length > 0) throw new ConfigError(source, problems);
  return { apiUrl: trimSlash(apiUrl), regionalApis, blogUrl: trimSlash(blogUrl), cognito, currency };
}

export async function loadConfig(url = "/config.json", fetchFn: typeof fetch = fetch): Promise<AppConfig> {
  let response: Response;
  try {
    response = await fetchFn(url, { cache: "no-store" });
  } catch {
    throw new ConfigError(url, ["could not be downloaded (network error)"]);
  }
  if (!response.ok) throw new ConfigError(url, [`could not be downloaded (HTTP ${response.status})`]);
  let raw: unknown;
  try {
    raw = await response.json();
  } catch {
    throw new ConfigError(url, ["is not valid JSON"]);
  }
  return parseConfig(raw, url);
}

let current: AppConfig | null = null;
export const setAppConfig = (config: AppConfig | null) => {
  current = config;
};
export function appConfig(): AppConfig {
  if (!current) throw new Error("configuration used before it was loaded");
  return current;
}
