import { appConfig } from "@/config/config";

export type Post = {
  id: number;
  date: string;
  title: { rendered: string };
  excerpt: { rendered: string };
  content: { rendered: string };
  _embedded?: {
    author?: { name?: string }[];
    "wp:featuredmedia"?: { source_url?: string; alt_text?: string }[];
  };
};

/** The blog tier is down, not deployed yet, or answered with something that is not WordPress. */
export class BlogUnavailableError extends Error {
  constructor() {
    super("The blog is unavailable right now.");
    this.name = "BlogUnavailableError";
  }
}
export class PostNotFoundError extends Error {}

/**
 * GET a WordPress REST route. Tries the pretty /wp-json/ path first and falls back to
 * ?rest_route= for installs without pretty permalinks.
 */
export async function wpGet<T>(route: string, params: Record<string, string>, signal?: AbortSignal): Promise<T> {
  const base = appConfig().blogUrl;
  const search = new URLSearchParams(params).toString();
  const pretty = `${base}/wp-json${route}${search ? `?${search}` : ""}`;
  const plain = `${base}/?${new URLSearchParams({ rest_route: route, ...params })}`;
  let response = await get(pretty, signal);
  if (response.status === 404 && !(await looksLikeWordPress(response))) response = await get(plain, signal);
  if (response.status === 404) throw new PostNotFoundError("No such post.");
  if (!response.ok || !(response.headers.get("Content-Type") ?? "").includes("json")) throw new BlogUnavailableError();
  return response.json().catch(() => {
    throw new BlogUnavailableError();
  });
}

async function get(url: string, signal?: AbortSignal) {
  try {
    return await fetch(url, { headers: { Accept: "application/json" }, signal });
  } catch (error) {
    if ((error as Error)?.name === "AbortError") throw error;
    throw new BlogUnavailableError();
  }
}

async function looksLikeWordPress(response: Response) {
  const body = await response.clone().json().catch(() => null);
  return typeof body?.code === "string" && body.code.startsWith("rest_");
}

export const postAuthor = (post: Post) => post._embedded?.author?.[0]?.name ?? null;
export const postImage = (post: Post) => {
  const media = post._embedded?.["wp:featuredmedia"]?.[0];
  return media?.source_url ? { src: media.source_url, alt: media.alt_text ?? "" } : null;
};
