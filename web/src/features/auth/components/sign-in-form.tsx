import { useState } from "preact/hooks";
import { auth } from "@/lib/session";

export function SignInForm({ onSignedIn, initialEmail = "" }: { onSignedIn: () => void; initialEmail?: string }) {
  const [email, setEmail] = useState(initialEmail);
  const [password, setPassword] = useState("");
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  const submit = async (event: Event) => {
    event.preventDefault();
    setBusy(true);
    setError(null);
    try {
      await auth().signIn(email.trim(), password);
      onSignedIn();
    } catch (e) {
      setError((e as Error).message);
      setBusy(false);
    }
  };

  return (
    <form class="form" onSubmit={submit} aria-describedby={error ? "signin-error" : undefined}>
      <div class="field">
        <label for="signin-email">E-mail</label>
        <input id="signin-email" type="email" autoComplete="username" required value={email} onInput={(e) => setEmail(e.currentTarget.value)} />
      </div>
      <div class="field">
        <label for="signin-password">Password</label>
        <input
          id="signin-password"
          type="password"
          autoComplete="current-password"
          required
          value={password}
          onInput={(e) => setPassword(e.currentTarget.value)}
        />
      </div>
      {error && (
        <p id="signin-error" class="form-error" role="alert">
          {error}
        </p>
      )}
      <button type="submit" class="button button-primary button-block" disabled={busy}>
        {busy ? "Signing in…" : "Sign in"}
      </button>
    </form>
  );
}
