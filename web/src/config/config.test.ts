import { describe, expect, it } from "vitest";
import { json, mockFetch } from "@/testing/fetch-mock";
import { ConfigError, loadConfig, parseConfig } from "./config";

const valid = {
  apiUrl: "https://api.example.com/",
  blogUrl: "/blog",
  cognito: { endpoint: "http://127.0.0.1:5001", region: "eu-west-1", userPoolId: "eu-west-1_abc", clientId: "client" },
};

describe("parseConfig", () => {
  it("accepts a complete config and trims trailing slashes", () => {
    const config = parseConfig(valid);
    expect(config.apiUrl).toBe("https://api.example.com");
    expect(config.cognito.endpoint).toBe("http://127.0.0.1:5001");
    expect(config.currency).toBe("USD");
  });

  it("names every missing or invalid field", () => {
    const error = (() => {
      try {
        parseConfig({ apiUrl: "api", cognito: { endpoint: "ftp://x", region: "eu-west-1" } });
      } catch (e) {
        return e as ConfigError;
      }
    })();
    expect(error).toBeInstanceOf(ConfigError);
    expect(error!.problems).toEqual([
      `"apiUrl" is "api", expected a path like /api or an http(s) URL`,
      `"blogUrl" is missing (expected a non-empty string)`,
      `"cognito.endpoint" is "ftp://x", expected an http(s) URL`,
      `"cognito.userPoolId" is missing (expected a non-empty string)`,
      `"cognito.clientId" is missing (expected a non-empty string)`,
    ]);
  });

  it("reads each region's own API endpoint, and does without them", () => {
    const config = parseConfig({ ...valid, regionalApis: { "eu-west-1": "/api-eu-west-1/", "ap-southeast-1": "https://api-ap.example.com" } });
    expect(config.regionalApis).toEqual({ "eu-west-1": "/api-eu-west-1", "ap-southeast-1": "https://api-ap.example.com" });
    expect(parseConfig(valid).regionalApis).toEqual({});
  });

  it("names every wrong regional endpoint", () => {
    expect(() => parseConfig({ ...valid, regionalApis: ["/api-eu-west-1"] })).toThrow(/"regionalApis" is not an object/);
    const error = (() => {
      try {
        parseConfig({ ...valid, regionalApis: { "eu-west-1": "api", Europe: "/api-eu", "us-east-1": 3 } });
      } catch (e) {
        return e as ConfigError;
      }
    })();
    expect(error!.problems).toEqual([
      `"regionalApis.eu-west-1" is "api", expected a path like /api-eu-west-1 or an http(s) URL`,
      `"regionalApis" has "Europe", expected a region name like eu-west-1`,
      `"regionalApis.us-east-1" is missing (expected a non-empty string)`,
    ]);
  });

  it("rejects a missing cognito block and non-objects", () => {
    expect(() => parseConfig({ apiUrl: "/api", blogUrl: "/blog" })).toThrow(/"cognito" is missing/);
    expect(() => parseConfig([])).toThrow(/must contain a JSON object/);
  });
});

describe("loadConfig", () => {
  it("explains an HTTP failure", async () => {
    mockFetch(() => new Response("nope", { status: 404 }));
    await expect(loadConfig()).rejects.toThrow("/config.json: could not be downloaded (HTTP 404)");
  });

  it("explains a file that is not JSON", async () => {
    mockFetch(() => new Response("<html>", { status: 200 }));
    await expect(loadConfig()).rejects.toThrow("is not valid JSON");
  });

  it("loads and validates", async () => {
    mockFetch(() => json(200, valid));
    await expect(loadConfig()).resolves.toMatchObject({ blogUrl: "/blog" });
  });
});
