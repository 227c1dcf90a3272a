import { screen } from "@testing-library/preact";
import { beforeEach, describe, expect, it } from "vitest";
import { clearQueryCache } from "@/lib/use-query";
import { json, mockFetch } from "@/testing/fetch-mock";
import { renderAt } from "@/testing/render";
import { useTestApi } from "@/testing/services";
import { BlogListPage, BlogPostPage } from "./blog";
import { Route, Router } from "preact-iso";

const post = {
  id: 7,
  date: "2026-11-20T09:30:00",
  title: { rendered: "Autumn &amp; winter reads" },
  excerpt: { rendered: "<p>Staff picks.</p>" },
  content: { rendered: "<p>Read <strong>Dune</strong>.</p><script>alert(1)</script>" },
  _embedded: { author: [{ name: "The shop" }] },
};

describe("blog", () => {
  beforeEach(() => {
    useTestApi();
    clearQueryCache();
  });

  it("lists posts from the WordPress REST API", async () => {
    const { calls } = mockFetch(() => json(200, [post]));
    renderAt("/posts", <BlogListPage />);
    expect(await screen.findByRole("link", { name: "Autumn & winter reads" })).toHaveAttribute("href", "/posts/7");
    expect(screen.getByText("Staff picks.")).toBeInTheDocument();
    expect(calls[0].url).toBe("/blog/wp-json/wp/v2/posts?_embed=1&per_page=20");
  });

  it("renders a post without its scripts", async () => {
    mockFetch(() => json(200, post));
    const { container } = renderAt(
      "/posts/7",
      <Router>{[<Route key="post" path="/posts/:id" component={BlogPostPage} />]}</Router>,
    );
    expect(await screen.findByRole("heading", { level: 1, name: "Autumn & winter reads" })).toBeInTheDocument();
    expect(container.querySelector(".prose")!.innerHTML).toBe("<p>Read <strong>Dune</strong>.</p>");
  });

  it("shows a friendly state while the blog tier is down", async () => {
    mockFetch(() => new Response("<h1>502</h1>", { status: 502, headers: { "Content-Type": "text/html" } }));
    renderAt("/posts", <BlogListPage />);
    expect(await screen.findByTestId("blog-unavailable")).toHaveTextContent("The blog is taking a break.");
  });

  it("shows the same state when the blog cannot be reached at all", async () => {
    mockFetch(() => Promise.reject(new TypeError("Failed to fetch")));
    renderAt("/posts", <BlogListPage />);
    expect(await screen.findByTestId("blog-unavailable")).toBeInTheDocument();
  });
});
