import { apiReachable } from "@/lib/status";

export function OfflineBanner({ onRetry }: { onRetry: () => void }) {
  if (apiReachable.value) return null;
  return (
    <div class="offline-banner" role="alert" data-testid="offline-banner">
      <span class="spinner spinner-small" aria-hidden="true" />
      <span>
        <strong>The bookstore can't be reached.</strong> We're retrying automatically; your cart is safe.
      </span>
      <button type="button" class="button button-small" onClick={onRetry}>
        Retry now
      </button>
    </div>
  );
}
