import { render } from "@testing-library/preact";
import type { ComponentChildren } from "preact";
import { LocationProvider } from "preact-iso";

/** Renders inside the router at the given URL. */
export function renderAt(url: string, ui: ComponentChildren) {
  window.history.replaceState(null, "", url);
  return render(<LocationProvider>{ui}</LocationProvider>);
}
