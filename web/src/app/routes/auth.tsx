import { useLocation } from "preact-iso";
import { SignInForm } from "@/features/auth/components/sign-in-form";
import { SignUpForm } from "@/features/auth/components/sign-up-form";
import { loadCart } from "@/features/cart/cart-store";
import { session } from "@/lib/session";
import { useTitle } from "@/lib/use-title";

/** Only same-site paths are followed after sign-in. */
const safeNext = (next: string | undefined) => (next && next.startsWith("/") && !next.startsWith("//") ? next : "/");

function useAfterSignIn() {
  const { query, route } = useLocation();
  return () => {
    void loadCart().catch(() => null);
    route(safeNext(query.next), true);
  };
}

function AlreadySignedIn() {
  return (
    <div class="state state-empty">
      <p class="state-title">You're signed in as {session.value?.email}.</p>
      <p>
        <a href="/books">Browse books</a> · <a href="/orders">My orders</a>
      </p>
    </div>
  );
}

export function SignInPage() {
  useTitle("Sign in");
  const done = useAfterSignIn();
  const { query } = useLocation();
  return (
    <div class="auth-card">
      <h1>Sign in</h1>
      {session.value ? <AlreadySignedIn /> : <SignInForm onSignedIn={done} />}
      <p class="muted center">
        New here? <a href={`/signup${query.next ? `?next=${encodeURIComponent(query.next)}` : ""}`}>Create an account</a>
      </p>
    </div>
  );
}

export function SignUpPage() {
  useTitle("Create account");
  const done = useAfterSignIn();
  const { query } = useLocation();
  return (
    <div class="auth-card">
      <h1>Create your account</h1>
      {session.value ? <AlreadySignedIn /> : <SignUpForm onSignedIn={done} />}
      <p class="muted center">
        Already have one? <a href={`/signin${query.next ? `?next=${encodeURIComponent(query.next)}` : ""}`}>Sign in</a>
      </p>
    </div>
  );
}
