import { render, screen } from "@testing-library/preact";
import { describe, expect, it } from "vitest";
import { ConfigError } from "@/config/config";
import { ConfigErrorPage } from "./config-error";

describe("ConfigErrorPage", () => {
  it("lists each problem with the file it came from", () => {
    render(<ConfigErrorPage error={new ConfigError("/config.json", [`"apiUrl" is missing (expected a non-empty string)`])} />);
    expect(screen.getByRole("heading", { name: "The bookstore is not configured" })).toBeInTheDocument();
    expect(screen.getByRole("listitem")).toHaveTextContent(`/config.json "apiUrl" is missing`);
  });
});
