import { setAppConfig, type AppConfig } from "@/config/config";
import { createApiClient, setApiClient } from "@/lib/api-client";
import { servedBy } from "@/lib/status";

export const testConfig: AppConfig = {
  apiUrl: "/api",
  regionalApis: {},
  blogUrl: "/blog",
  currency: "USD",
  cognito: { endpoint: "http://cognito.test", region: "eu-west-1", userPoolId: "pool", clientId: "client" },
};

/** Points the app's API client at the (mocked) global fetch with a fixed token. */
export function useTestApi(token: string | null = "token-1") {
  setAppConfig(testConfig);
  setApiClient(
    createApiClient({
      baseUrl: "/api",
      fetchFn: (input, init) => fetch(input, init),
      getToken: async () => token,
      onRegion: (region) => {
        servedBy.value = region;
      },
    }),
  );
}
