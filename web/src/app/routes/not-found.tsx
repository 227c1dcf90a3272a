import { useTitle } from "@/lib/use-title";

export function NotFoundPage() {
  useTitle("Not found");
  return (
    <div class="state state-empty">
      <h1>This page is not on our shelves.</h1>
      <p>
        <a href="/">Back to the shop</a>
      </p>
    </div>
  );
}
