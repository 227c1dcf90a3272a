export function Rating({ value }: { value: number }) {
  const full = Math.max(0, Math.min(5, Math.round(value)));
  return (
    <span class="rating" role="img" aria-label={`Rated ${value.toFixed(1)} out of 5`}>
      <span class="rating-stars" aria-hidden="true">
        {"★".repeat(full)}
        <span class="rating-empty">{"★".repeat(5 - full)}</span>
      </span>{" "}
      <span class="rating-value" aria-hidden="true">
        {value.toFixed(1)}
      </span>
    </span>
  );
}
