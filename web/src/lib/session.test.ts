import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { fakeJwt } from "@/testing/fetch-mock";
import { CognitoError, type CognitoClient, type Tokens } from "./cognito";
import { createSessionManager, session } from "./session";

const tokens = (n: number, expiresAt: number, refresh = "refresh-1"): Tokens => ({
  accessToken: fakeJwt({ sub: "user-1", n, exp: expiresAt / 1000 }),
  idToken: `id-${n}`,
  refreshToken: refresh,
  expiresAt,
});

function fakeCognito(overrides: Partial<CognitoClient> = {}) {
  return {
    signUp: vi.fn(),
    confirmSignUp: vi.fn(),
    signIn: vi.fn(async () => tokens(1, Date.now() + 3600_000)),
    refresh: vi.fn(async () => tokens(2, Date.now() + 3600_000, "")),
    ...overrides,
  } as unknown as CognitoClient & Record<string, ReturnType<typeof vi.fn>>;
}

describe("session manager", () => {
  beforeEach(() => {
    vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout", "Date"] });
  });
  afterEach(() => {
    vi.useRealTimers();
    session.value = null;
  });

  it("signs in, publishes the session and hands out the access token", async () => {
    const manager = createSessionManager(fakeCognito());
    await manager.signIn("a@b.c", "pw");
    expect(session.value).toEqual({ email: "a@b.c", sub: "user-1" });
    const token = await manager.getToken();
    expect(token).toContain(".");
    expect(JSON.parse(sessionStorage.getItem("bookstore.tokens")!).email).toBe("a@b.c");
    expect(JSON.parse(localStorage.getItem("bookstore.refresh")!).refreshToken).toBe("refresh-1");
  });

  it("restores a session from storage after a reload", async () => {
    await createSessionManager(fakeCognito()).signIn("a@b.c", "pw");
    session.value = null;
    const cognito = fakeCognito();
    const manager = createSessionManager(cognito);
    expect(session.peek()?.email).toBe("a@b.c");
    await expect(manager.getToken()).resolves.toBeTruthy();
    expect(cognito.refresh).not.toHaveBeenCalled();
  });

  it("refreshes before expiry and keeps the refresh token", async () => {
    const cognito = fakeCognito({ signIn: vi.fn(async () => tokens(1, Date.now() + 5 * 60_000)) });
    const manager = createSessionManager(cognito);
    await manager.signIn("a@b.c", "pw");
    await vi.advanceTimersByTimeAsync(3 * 60_000 + 1);
    expect(cognito.refresh).toHaveBeenCalledWith("refresh-1");
    expect(JSON.parse(localStorage.getItem("bookstore.refresh")!).refreshToken).toBe("refresh-1");
    await expect(manager.getToken()).resolves.toContain(".");
  });

  it("refreshes on demand when the token is about to expire", async () => {
    const cognito = fakeCognito({ signIn: vi.fn(async () => tokens(1, Date.now() + 30_000)) });
    const manager = createSessionManager(cognito);
    await manager.signIn("a@b.c", "pw");
    await manager.getToken();
    expect(cognito.refresh).toHaveBeenCalledOnce();
  });

  it("signs out when Cognito rejects the refresh token", async () => {
    const cognito = fakeCognito({
      signIn: vi.fn(async () => tokens(1, Date.now() + 30_000)),
      refresh: vi.fn(async () => {
        throw new CognitoError("NotAuthorizedException", "expired");
      }),
    });
    const manager = createSessionManager(cognito);
    await manager.signIn("a@b.c", "pw");
    await expect(manager.getToken()).resolves.toBeNull();
    expect(session.value).toBeNull();
    expect(localStorage.getItem("bookstore.refresh")).toBeNull();
  });

  it("keeps a still-valid token when Cognito is unreachable (primary region down)", async () => {
    const cognito = fakeCognito({
      signIn: vi.fn(async () => tokens(1, Date.now() + 30_000)),
      refresh: vi.fn(async () => {
        throw new CognitoError("NetworkError", "down");
      }),
    });
    const manager = createSessionManager(cognito);
    await manager.signIn("a@b.c", "pw");
    await expect(manager.getToken()).resolves.toBeTruthy();
    expect(session.value).not.toBeNull();
  });

  it("forgets everything on sign-out", async () => {
    const manager = createSessionManager(fakeCognito());
    await manager.signIn("a@b.c", "pw");
    manager.signOut();
    expect(session.value).toBeNull();
    expect(sessionStorage.getItem("bookstore.tokens")).toBeNull();
    expect(localStorage.getItem("bookstore.refresh")).toBeNull();
    await expect(manager.getToken()).resolves.toBeNull();
  });
});
