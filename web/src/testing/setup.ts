import "@testing-library/jest-dom/vitest";
import { cleanup } from "@testing-library/preact";
import { afterEach } from "vitest";
import { apiReachable, pinnedRegion, reconnects, servedBy } from "@/lib/status";

afterEach(() => {
  cleanup();
  sessionStorage.clear();
  localStorage.clear();
  servedBy.value = null;
  pinnedRegion.value = null;
  apiReachable.value = true;
  reconnects.value = 0;
});
