import { setAppConfig, type AppConfig } from "@/config/config";
import { createApiClient, setApiClient } from "@/lib/api-client";
import { createCognitoClient } from "@/lib/cognito";
import { createConnectivityMonitor, type ConnectivityMonitor } from "@/lib/connectivity";
import { failoverPolicy } from "@/lib/failover/policy";
import { createRegionRoute } from "@/lib/failover/route";
import { attemptInProgress } from "@/lib/idempotency";
import { setCurrency } from "@/lib/money";
import { createSessionManager, setSessionManager } from "@/lib/session";
import { pinnedRegion, servedBy } from "@/lib/status";

export type Services = { connectivity: ConnectivityMonitor };

/** A page load in the middle of a checkout: the review page, or an order not yet confirmed. */
export const checkoutInProgress = () => location.pathname.startsWith("/checkout") || attemptInProgress();

/** Wires the API client, the session and the connectivity monitor to the runtime config. */
export function startServices(config: AppConfig): Services {
  setAppConfig(config);
  setCurrency(config.currency);
  const session = createSessionManager(createCognitoClient(config.cognito));
  setSessionManager(session);

  const route = createRegionRoute({ onChange: (state) => (pinnedRegion.value = state.pinned) });
  pinnedRegion.value = route.state().pinned;
  let report: (reachable: boolean) => void = () => undefined;
  const client = createApiClient({
    baseUrl: config.apiUrl,
    regionalApis: config.regionalApis,
    route,
    lastRegion: route.state().pinned ? null : servedBy.value,
    getToken: session.getToken,
    onUnauthorized: session.onUnauthorized,
    onRegion: (region) => {
      servedBy.value = region;
    },
    onReachability: (reachable) => report(reachable),
  });
  setApiClient(client);

  // The health check goes where requests go, failover included.
  const probe = () => client.get(failoverPolicy.healthPath).then(() => true);
  const connectivity = createConnectivityMonitor(probe);
  report = connectivity.report;
  // A shopper moved to the far region goes back to the routed endpoint on a page load once it
  // answers healthy; meanwhile requests keep going to the far region, so the page never waits.
  void client.returnToRouted(checkoutInProgress).catch(() => false);
  // Fill the region badge (and raise the offline banner) even on pages that never call the API.
  probe().catch(() => false);
  return { connectivity };
}
