import { useState } from "preact/hooks";
import { auth } from "@/lib/session";

export const PASSWORD_HINT = "At least 8 characters, with upper- and lower-case letters, a number and a symbol.";

/** Sign-up, then (only when Cognito asks for it) the e-mailed confirmation code, then sign-in. */
export function SignUpForm({ onSignedIn }: { onSignedIn: () => void }) {
  const [step, setStep] = useState<"details" | "confirm">("details");
  const [email, setEmail] = useState("");
  const [password, setPassword] = useState("");
  const [code, setCode] = useState("");
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  const attempt = async (action: () => Promise<void>) => {
    setBusy(true);
    setError(null);
    try {
      await action();
    } catch (e) {
      setError((e as Error).message);
    } finally {
      setBusy(false);
    }
  };

  const signUp = (event: Event) => {
    event.preventDefault();
    void attempt(async () => {
      const { confirmed } = await auth().signUp(email.trim(), password);
      if (!confirmed) return setStep("confirm");
      await auth().signIn(email.trim(), password);
      onSignedIn();
    });
  };

  const confirm = (event: Event) => {
    event.preventDefault();
    void attempt(async () => {
      await auth().confirmSignUp(email.trim(), code.trim());
      await auth().signIn(email.trim(), password);
      onSignedIn();
    });
  };

  const errorBlock = error && (
    <p id="signup-error" class="form-error" role="alert">
      {error}
    </p>
  );

  if (step === "confirm") {
    return (
      <form class="form" onSubmit={confirm}>
        <p>
          We sent a confirmation code to <strong>{email}</strong>. Enter it to finish creating your account.
        </p>
        <div class="field">
          <label for="signup-code">Confirmation code</label>
          <input id="signup-code" inputMode="numeric" autoComplete="one-time-code" required value={code} onInput={(e) => setCode(e.currentTarget.value)} />
        </div>
        {errorBlock}
        <button type="submit" class="button button-primary button-block" disabled={busy}>
          {busy ? "Confirming…" : "Confirm and sign in"}
        </button>
      </form>
    );
  }

  return (
    <form class="form" onSubmit={signUp}>
      <div class="field">
        <label for="signup-email">E-mail</label>
        <input id="signup-email" type="email" autoComplete="username" required value={email} onInput={(e) => setEmail(e.currentTarget.value)} />
      </div>
      <div class="field">
        <label for="signup-password">Password</label>
        <input
          id="signup-password"
          type="password"
          autoComplete="new-password"
          required
          minLength={8}
          aria-describedby="signup-password-hint"
          value={password}
          onInput={(e) => setPassword(e.currentTarget.value)}
        />
        <p id="signup-password-hint" class="field-hint">
          {PASSWORD_HINT}
        </p>
      </div>
      {errorBlock}
      <button type="submit" class="button button-primary button-block" disabled={busy}>
        {busy ? "Creating your account…" : "Create account"}
      </button>
    </form>
  );
}
