import { describe, expect, it } from "vitest";
import { fakeJwt, json, mockFetch } from "@/testing/fetch-mock";
import { CognitoError, createCognitoClient } from "./cognito";

const cognito = () => createCognitoClient({ endpoint: "http://127.0.0.1:5001", clientId: "client-1" });
const exp = Math.floor(Date.now() / 1000) + 3600;
const auth = (refresh = true) => ({
  AuthenticationResult: {
    AccessToken: fakeJwt({ sub: "user-1", exp, client_id: "client-1" }),
    IdToken: fakeJwt({ sub: "user-1", exp, email: "a@b.c" }),
    ...(refresh ? { RefreshToken: "refresh-1" } : {}),
    ExpiresIn: 3600,
  },
});

describe("cognito client", () => {
  it("calls SignUp with the JSON protocol headers and reports confirmation", async () => {
    const { calls } = mockFetch(() => json(200, { UserConfirmed: true, UserSub: "user-1" }));
    await expect(cognito().signUp("a@b.c", "Secret-123")).resolves.toEqual({ confirmed: true });
    expect(calls[0].url).toBe("http://127.0.0.1:5001/");
    expect(calls[0].headers["x-amz-target"]).toBe("AWSCognitoIdentityProviderService.SignUp");
    expect(calls[0].headers["content-type"]).toBe("application/x-amz-json-1.1");
    expect(calls[0].body).toEqual({
      ClientId: "client-1",
      Username: "a@b.c",
      Password: "Secret-123",
      UserAttributes: [{ Name: "email", Value: "a@b.c" }],
    });
  });

  it("reports an unconfirmed sign-up (AWS sends a code)", async () => {
    mockFetch(() => json(200, { UserConfirmed: false }));
    await expect(cognito().signUp("a@b.c", "Secret-123")).resolves.toEqual({ confirmed: false });
  });

  it("confirms a sign-up", async () => {
    const { calls } = mockFetch(() => json(200, {}));
    await cognito().confirmSignUp("a@b.c", "123456");
    expect(calls[0].headers["x-amz-target"]).toBe("AWSCognitoIdentityProviderService.ConfirmSignUp");
    expect(calls[0].body).toMatchObject({ Username: "a@b.c", ConfirmationCode: "123456" });
  });

  it("signs in with USER_PASSWORD_AUTH and takes the expiry from the access token", async () => {
    const { calls } = mockFetch(() => json(200, auth()));
    const tokens = await cognito().signIn("a@b.c", "Secret-123");
    expect(calls[0].body).toMatchObject({ AuthFlow: "USER_PASSWORD_AUTH", AuthParameters: { USERNAME: "a@b.c", PASSWORD: "Secret-123" } });
    expect(tokens.refreshToken).toBe("refresh-1");
    expect(tokens.expiresAt).toBe(exp * 1000);
  });

  it("refreshes with REFRESH_TOKEN_AUTH and keeps the refresh token", async () => {
    const { calls } = mockFetch(() => json(200, auth(false)));
    const tokens = await cognito().refresh("refresh-1");
    expect(calls[0].body).toMatchObject({ AuthFlow: "REFRESH_TOKEN_AUTH", AuthParameters: { REFRESH_TOKEN: "refresh-1" } });
    expect(tokens.refreshToken).toBe("refresh-1");
  });

  it("maps Cognito error types to friendly messages", async () => {
    mockFetch(() => json(400, { __type: "com.amazonaws#NotAuthorizedException", message: "Incorrect username or password." }));
    const error = await cognito().signIn("a@b.c", "wrong").catch((e) => e);
    expect(error).toBeInstanceOf(CognitoError);
    expect(error).toMatchObject({ type: "NotAuthorizedException", message: "Incorrect e-mail or password." });
  });

  it("reports an unreachable endpoint", async () => {
    mockFetch(() => Promise.reject(new TypeError("Failed to fetch")));
    await expect(cognito().signIn("a@b.c", "x")).rejects.toMatchObject({ type: "NetworkError" });
  });
});
