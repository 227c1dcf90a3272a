import type { ComponentChildren } from "preact";
import { errorMessage, isRetryable } from "@/lib/errors";

export function Loading({ label = "Loading…" }: { label?: string }) {
  return (
    <div class="state state-loading" role="status" aria-live="polite">
      <span class="spinner" aria-hidden="true" />
      <span>{label}</span>
    </div>
  );
}

export function EmptyState({ title, children }: { title: string; children?: ComponentChildren }) {
  return (
    <div class="state state-empty">
      <p class="state-title">{title}</p>
      {children}
    </div>
  );
}

export function ErrorState({ error, onRetry, title }: { error: unknown; onRetry?: () => void; title?: string }) {
  const retrying = isRetryable(error);
  return (
    <div class="state state-error" role="alert">
      <p class="state-title">{title ?? "We couldn't load this."}</p>
      <p>{errorMessage(error)}</p>
      {retrying && <p class="muted">We'll try again automatically as soon as the bookstore answers.</p>}
      {onRetry && (
        <button type="button" class="button button-secondary" onClick={onRetry}>
          Try again
        </button>
      )}
    </div>
  );
}
