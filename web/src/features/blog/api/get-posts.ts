import { wpGet, type Post } from "./wordpress";

export const getPosts = (signal?: AbortSignal) => wpGet<Post[]>("/wp/v2/posts", { _embed: "1", per_page: "20" }, signal);
