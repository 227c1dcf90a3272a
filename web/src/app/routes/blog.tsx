import { useRoute } from "preact-iso";
import { useMemo } from "preact/hooks";
import { EmptyState, Loading } from "@/components/states";
import { getPost } from "@/features/blog/api/get-post";
import { getPosts } from "@/features/blog/api/get-posts";
import { PostNotFoundError, postAuthor, postImage, type Post } from "@/features/blog/api/wordpress";
import { BlogUnavailable } from "@/features/blog/components/blog-unavailable";
import { formatDate } from "@/features/orders/components/order-lines";
import { sanitizeHtml } from "@/lib/sanitize-html";
import { useQuery } from "@/lib/use-query";
import { useTitle } from "@/lib/use-title";

const text = (html: string) => new DOMParser().parseFromString(html, "text/html").body.textContent ?? "";

export function BlogListPage() {
  useTitle("Blog");
  const posts = useQuery("blog", getPosts);
  return (
    <div class="narrow">
      <div class="page-head">
        <h1>From the blog</h1>
        <p class="muted">News, reviews and reading lists from the shop.</p>
      </div>
      {posts.loading && !posts.data ? (
        <Loading label="Loading posts…" />
      ) : posts.error && !posts.data ? (
        <BlogUnavailable onRetry={posts.reload} />
      ) : !posts.data?.length ? (
        <EmptyState title="No posts yet." />
      ) : (
        <ul class="post-list">
          {posts.data.map((post) => (
            <PostSummary key={post.id} post={post} />
          ))}
        </ul>
      )}
    </div>
  );
}

function PostSummary({ post }: { post: Post }) {
  const author = postAuthor(post);
  return (
    <li class="post-card">
      <h2>
        <a href={`/posts/${post.id}`}>{text(post.title.rendered)}</a>
      </h2>
      <p class="muted small">
        {formatDate(post.date)}
        {author ? ` · ${author}` : ""}
      </p>
      <p>{text(post.excerpt.rendered)}</p>
    </li>
  );
}

export function BlogPostPage() {
  const { params } = useRoute();
  const post = useQuery(`blog:${params.id}`, (signal) => getPost(params.id, signal));
  const title = post.data ? text(post.data.title.rendered) : "Blog";
  useTitle(title);
  const body = useMemo(() => (post.data ? sanitizeHtml(post.data.content.rendered) : ""), [post.data]);

  if (post.loading && !post.data) return <Loading label="Loading the post…" />;
  if (post.error && !post.data) {
    if (post.error instanceof PostNotFoundError) return <EmptyState title="That post does not exist." />;
    return <BlogUnavailable onRetry={post.reload} />;
  }
  const p = post.data!;
  const image = postImage(p);
  const author = postAuthor(p);
  return (
    <article class="narrow post">
      <nav aria-label="Breadcrumb" class="breadcrumb">
        <a href="/posts">Blog</a>
      </nav>
      <h1>{title}</h1>
      <p class="muted">
        {formatDate(p.date)}
        {author ? ` · ${author}` : ""}
      </p>
      {image && <img class="post-image" src={image.src} alt={image.alt} />}
      <div class="prose" dangerouslySetInnerHTML={{ __html: body }} />
    </article>
  );
}
