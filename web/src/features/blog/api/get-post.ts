import { wpGet, type Post } from "./wordpress";

export const getPost = (id: string, signal?: AbortSignal) =>
  wpGet<Post>(`/wp/v2/posts/${encodeURIComponent(id)}`, { _embed: "1" }, signal);
