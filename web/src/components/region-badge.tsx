import { useEffect, useRef, useState } from "preact/hooks";
import { apiReachable, pinnedRegion, servedBy } from "@/lib/status";

/**
 * Shows which region served the latest API response and flashes when that changes; says so
 * when the app talks to a region's own endpoint after a failover.
 */
export function RegionBadge() {
  const region = servedBy.value;
  const pinned = pinnedRegion.value;
  const reachable = apiReachable.value;
  const previous = useRef<string | null>(region);
  const [changed, setChanged] = useState(false);

  useEffect(() => {
    if (previous.current && region && previous.current !== region) {
      setChanged(true);
      const timer = setTimeout(() => setChanged(false), 10_000);
      previous.current = region;
      return () => clearTimeout(timer);
    }
    previous.current = region;
  }, [region]);

  return (
    <span
      class={`region-badge${changed ? " region-badge-changed" : ""}${reachable ? "" : " region-badge-down"}`}
      data-testid="region-badge"
      data-region={region ?? ""}
      data-endpoint={pinned ? "regional" : "routed"}
      title={
        pinned
          ? `The AWS region that answered the last request; the app moved to ${pinned}'s own endpoint after a failure`
          : "The AWS region that answered the last request"
      }
    >
      <span class="region-dot" aria-hidden="true" />
      <span class="visually-hidden">Served by region </span>
      <span aria-live="polite">
        {changed && <span class="region-switched">now </span>}
        {region ?? (reachable ? "connecting…" : "no region")}
      </span>
    </span>
  );
}
