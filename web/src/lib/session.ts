import { signal } from "@preact/signals";
import { CognitoError, jwtClaims, type CognitoClient, type Tokens } from "./cognito";

/**
 * Which Cognito token the API receives as `Authorization: Bearer`. API Gateway's JWT
 * authorizer accepts the access token (claim `client_id`) and the ID token (claim `aud`);
 * switch here if the authorizer's audience check ever needs the ID token.
 */
export const BEARER_TOKEN: "access" | "id" = "access";

/** Refresh this long before the access token expires. */
const REFRESH_MARGIN_MS = 2 * 60 * 1000;

// Where tokens live, and why:
// - access/ID tokens: sessionStorage. They survive a reload, which matters during a primary-
//   region outage: Cognito lives in the primary, so a reload that had to refresh would sign the
//   user out while the API in the other region would still have accepted the token.
//   sessionStorage dies with the tab, so short-lived tokens do not linger on disk.
// - refresh token: localStorage, so a new tab or a browser restart stays signed in.
// Sign-out removes both. (Any script on the page could read either store; the app loads no
// third-party scripts, and the same is true of memory-only tokens once XSS is possible.)
const TOKENS_KEY = "bookstore.tokens";
const REFRESH_KEY = "bookstore.refresh";

export type Session = { email: string; sub: string };
export const session = signal<Session | null>(null);

type StoredTokens = Omit<Tokens, "refreshToken"> & { email: string };

export type SessionManager = ReturnType<typeof createSessionManager>;

export function createSessionManager(cognito: CognitoClient, now: () => number = Date.now) {
  let tokens: StoredTokens | null = read(sessionStorage, TOKENS_KEY);
  let refreshing: Promise<boolean> | null = null;
  let timer: ReturnType<typeof setTimeout> | undefined;

  const refreshToken = () => read<{ refreshToken: string; email: string }>(localStorage, REFRESH_KEY);

  function publish() {
    const email = tokens?.email ?? refreshToken()?.email;
    const sub = tokens ? String(jwtClaims(tokens.accessToken).sub ?? "") : "";
    session.value = tokens || refreshToken() ? { email: email ?? "", sub } : null;
  }

  function store(next: Tokens, email: string) {
    tokens = { accessToken: next.accessToken, idToken: next.idToken, expiresAt: next.expiresAt, email };
    sessionStorage.setItem(TOKENS_KEY, JSON.stringify(tokens));
    if (next.refreshToken) localStorage.setItem(REFRESH_KEY, JSON.stringify({ refreshToken: next.refreshToken, email }));
    schedule();
    publish();
  }

  function schedule() {
    clearTimeout(timer);
    if (!tokens) return;
    const wait = Math.max(tokens.expiresAt - REFRESH_MARGIN_MS - now(), 5_000);
    timer = setTimeout(() => void refresh(), Math.min(wait, 2 ** 31 - 1));
  }

  function forget() {
    clearTimeout(timer);
    tokens = null;
    sessionStorage.removeItem(TOKENS_KEY);
    localStorage.removeItem(REFRESH_KEY);
    publish();
  }

  /** true when a usable token is held afterwards. */
  function refresh(): Promise<boolean> {
    const stored = refreshToken();
    if (!stored) return Promise.resolve(isValid());
    refreshing ??= cognito
      .refresh(stored.refreshToken)
      .then((next) => {
        store(next, stored.email);
        return true;
      })
      .catch((error) => {
        if (error instanceof CognitoError && error.type === "NotAuthorizedException") {
          forget();
          return false;
        }
        // Cognito unreachable (e.g. its region is down): keep the current token while it lasts.
        if (tokens) timer = setTimeout(() => void refresh(), 30_000);
        return isValid();
      })
      .finally(() => {
        refreshing = null;
      });
    return refreshing;
  }

  const isValid = () => tokens !== null && tokens.expiresAt > now();

  schedule();
  publish();

  return {
    async signIn(email: string, password: string) {
      store(await cognito.signIn(email, password), email);
    },
    signUp: (email: string, password: string) => cognito.signUp(email, password),
    confirmSignUp: (email: string, code: string) => cognito.confirmSignUp(email, code),
    signOut: forget,
    refresh,
    async getToken(): Promise<string | null> {
      if (!tokens || tokens.expiresAt - now() < 60_000) await refresh();
      if (!isValid()) return null;
      return BEARER_TOKEN === "access" ? tokens!.accessToken : tokens!.idToken;
    },
    /** After a 401: refresh once; the caller retries when this resolves true. */
    async onUnauthorized(): Promise<boolean> {
      if (!refreshToken()) {
        forget();
        return false;
      }
      const ok = await refresh();
      if (!ok) forget();
      return ok;
    },
  };
}

function read<T>(store: Storage, key: string): T | null {
  try {
    const raw = store.getItem(key);
    return raw ? (JSON.parse(raw) as T) : null;
  } catch {
    return null;
  }
}

let current: SessionManager | null = null;
export const setSessionManager = (manager: SessionManager | null) => {
  current = manager;
};
export function auth(): SessionManager {
  if (!current) throw new Error("auth used before the configuration was loaded");
  return current;
}
