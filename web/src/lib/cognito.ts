// A minimal client for Cognito's own JSON API. It takes the endpoint from the runtime
// config, so the same code path talks to AWS (https://cognito-idp.<region>.amazonaws.com)
// and to the sandbox's moto server. No SDK: the four calls below are all the app needs.

export type Tokens = {
  accessToken: string;
  idToken: string;
  refreshToken: string;
  /** Epoch milliseconds at which the access token stops being accepted. */
  expiresAt: number;
};

export class CognitoError extends Error {
  constructor(
    readonly type: string,
    message: string,
  ) {
    super(message);
    this.name = "CognitoError";
  }
}

const FRIENDLY: Record<string, string> = {
  UsernameExistsException: "An account with this e-mail already exists. Try signing in.",
  InvalidPasswordException: "That password is too weak.",
  NotAuthorizedException: "Incorrect e-mail or password.",
  UserNotFoundException: "Incorrect e-mail or password.",
  UserNotConfirmedException: "This account is not confirmed yet. Enter the code we sent you.",
  CodeMismatchException: "That confirmation code is not right.",
  ExpiredCodeException: "That confirmation code has expired.",
  InvalidParameterException: "Please check the e-mail address and password.",
  TooManyRequestsException: "Too many attempts. Wait a moment and try again.",
  LimitExceededException: "Too many attempts. Wait a moment and try again.",
  NetworkError: "The sign-in service cannot be reached right now.",
  ServiceUnavailable: "Signing in is unavailable right now. If you are already signed in, you can keep shopping.",
};

export function jwtClaims(token: string): Record<string, unknown> {
  const part = token.split(".")[1];
  if (!part) return {};
  try {
    const base64 = part.replace(/-/g, "+").replace(/_/g, "/").padEnd(Math.ceil(part.length / 4) * 4, "=");
    const bytes = Uint8Array.from(atob(base64), (c) => c.charCodeAt(0));
    return JSON.parse(new TextDecoder().decode(bytes));
  } catch {
    return {};
  }
}

type AuthResult = { AccessToken: string; IdToken: string; RefreshToken?: string; ExpiresIn: number };

export type CognitoClient = ReturnType<typeof createCognitoClient>;

export function createCognitoClient(config: { endpoint: string; clientId: string }, fetchFn: typeof fetch = fetch) {
  async function call<T>(action: string, body: Record<string, unknown>): Promise<T> {
    let response: Response;
    try {
      response = await fetchFn(`${config.endpoint}/`, {
        method: "POST",
        headers: {
          "Content-Type": "application/x-amz-json-1.1",
          "X-Amz-Target": `AWSCognitoIdentityProviderService.${action}`,
        },
        body: JSON.stringify(body),
      });
    } catch {
      throw new CognitoError("NetworkError", FRIENDLY.NetworkError);
    }
    const payload = await response.json().catch(() => ({}));
    if (!response.ok) {
      // Errors carry "__type" (sometimes prefixed "namespace#") or the x-amzn-ErrorType header.
      const raw = String(payload.__type ?? response.headers.get("x-amzn-ErrorType") ?? "UnknownError");
      const type = raw.split("#").pop()!.split(":")[0];
      throw new CognitoError(type, FRIENDLY[type] ?? payload.message ?? payload.Message ?? "Sign-in failed.");
    }
    return payload as T;
  }

  const toTokens = (result: AuthResult, previousRefresh = ""): Tokens => {
    const exp = Number(jwtClaims(result.AccessToken).exp);
    const expiresAt = Number.isFinite(exp) && exp > 0 ? exp * 1000 : Date.now() + result.ExpiresIn * 1000;
    return {
      accessToken: result.AccessToken,
      idToken: result.IdToken,
      refreshToken: result.RefreshToken ?? previousRefresh,
      expiresAt,
    };
  };

  return {
    /** Resolves to whether the account is already confirmed (the sandbox confirms at once). */
    async signUp(email: string, password: string): Promise<{ confirmed: boolean }> {
      const result = await call<{ UserConfirmed?: boolean }>("SignUp", {
        ClientId: config.clientId,
        Username: email,
        Password: password,
        UserAttributes: [{ Name: "email", Value: email }],
      });
      return { confirmed: result.UserConfirmed === true };
    },

    async confirmSignUp(email: string, code: string): Promise<void> {
      await call("ConfirmSignUp", { ClientId: config.clientId, Username: email, ConfirmationCode: code });
    },

    async signIn(email: string, password: string): Promise<Tokens> {
      const result = await call<{ AuthenticationResult?: AuthResult; ChallengeName?: string }>("InitiateAuth", {
        ClientId: config.clientId,
        AuthFlow: "USER_PASSWORD_AUTH",
        AuthParameters: { USERNAME: email, PASSWORD: password },
      });
      if (!result.AuthenticationResult) {
        throw new CognitoError(result.ChallengeName ?? "Challenge", "This account needs a step the web app does not support.");
      }
      return toTokens(result.AuthenticationResult);
    },

    async refresh(refreshToken: string): Promise<Tokens> {
      const result = await call<{ AuthenticationResult: AuthResult }>("InitiateAuth", {
        ClientId: config.clientId,
        AuthFlow: "REFRESH_TOKEN_AUTH",
        AuthParameters: { REFRESH_TOKEN: refreshToken },
      });
      return toTokens(result.AuthenticationResult, refreshToken);
    },
  };
}
