import { describe, expect, it } from "vitest";
import { sanitizeHtml } from "./sanitize-html";

describe("sanitizeHtml", () => {
  it("keeps prose and drops scripts, handlers and javascript: links", () => {
    const html = sanitizeHtml(
      `<p onclick="x()">Hi <strong>there</strong></p><script>alert(1)</script><a href="javascript:alert(1)">bad</a><a href="/books">good</a><iframe src="//evil"></iframe><font>kept text</font>`,
    );
    expect(html).toBe(`<p>Hi <strong>there</strong></p><a rel="noopener noreferrer">bad</a><a href="/books" rel="noopener noreferrer">good</a>kept text`);
  });
});
