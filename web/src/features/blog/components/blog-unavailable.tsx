export function BlogUnavailable({ onRetry }: { onRetry: () => void }) {
  return (
    <div class="state state-empty" data-testid="blog-unavailable">
      <p class="state-title">The blog is taking a break.</p>
      <p>Our writers' corner is unavailable right now. The shop is open as usual.</p>
      <p>
        <button type="button" class="button button-secondary" onClick={onRetry}>
          Try again
        </button>{" "}
        <a href="/books">Browse books instead</a>
      </p>
    </div>
  );
}
