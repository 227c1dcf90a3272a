import type { ComponentChildren } from "preact";
import { useLocation } from "preact-iso";
import { session } from "@/lib/session";

export function RequireAuth({ children, what }: { children: ComponentChildren; what: string }) {
  const { url } = useLocation();
  if (session.value) return <>{children}</>;
  const next = encodeURIComponent(url);
  return (
    <div class="state state-empty">
      <p class="state-title">Sign in to see {what}.</p>
      <p>
        <a class="button button-primary" href={`/signin?next=${next}`}>
          Sign in
        </a>{" "}
        <a class="button button-secondary" href={`/signup?next=${next}`}>
          Create account
        </a>
      </p>
    </div>
  );
}
