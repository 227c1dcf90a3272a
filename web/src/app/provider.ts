import { setAppConfig, type AppConfig } from "@/config/config";
import { createApiClient, REGION_HEADER, setApiClient } from "@/lib/api-client";
import { createCognitoClient } from "@/lib/cognito";
import { createConnectivityMonitor, type ConnectivityMonitor } from "@/lib/connectivity";
import { setCurrency } from "@/lib/money";
import { createSessionManager, setSessionManager } from "@/lib/session";
import { servedBy } from "@/lib/status";

export type Services = { connectivity: ConnectivityMonitor };

/** Wires the API client, the session and the connectivity monitor to the runtime config. */
export function startServices(config: AppConfig): Services {
  setAppConfig(config);
  setCurrency(config.currency);
  const session = createSessionManager(createCognitoClient(config.cognito));
  setSessionManager(session);

  const probe = async () => {
    const response = await fetch(`${config.apiUrl}/health`, { cache: "no-store" });
    const region = response.headers.get(REGION_HEADER);
    if (region && response.ok) servedBy.value = region;
    return response.ok;
  };
  const connectivity = createConnectivityMonitor(probe);
  // Fill the region badge (and raise the offline banner) even on pages that never call the API.
  probe().then(connectivity.report, () => connectivity.report(false));

  setApiClient(
    createApiClient({
      baseUrl: config.apiUrl,
      getToken: session.getToken,
      onUnauthorized: session.onUnauthorized,
      onRegion: (region) => {
        servedBy.value = region;
      },
      onReachability: connectivity.report,
    }),
  );
  return { connectivity };
}
