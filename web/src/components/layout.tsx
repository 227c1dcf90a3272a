import type { ComponentChildren } from "preact";
import { useLocation } from "preact-iso";
import { useEffect, useState } from "preact/hooks";
import { cartCount } from "@/features/cart/cart-store";
import { session } from "@/lib/session";
import { OfflineBanner } from "./offline-banner";
import { RegionBadge } from "./region-badge";

type Props = { children: ComponentChildren; onSignOut: () => void; onRetryConnection: () => void };

const NAV = [
  { href: "/books", label: "Books" },
  { href: "/bestsellers", label: "Best sellers" },
  { href: "/posts", label: "Blog" },
];

export function Layout({ children, onSignOut, onRetryConnection }: Props) {
  const { path, query, route } = useLocation();
  const [search, setSearch] = useState(query.q ?? "");
  useEffect(() => setSearch(query.q ?? ""), [query.q]);
  const user = session.value;
  const count = cartCount.value;
  const current = (href: string) => (path === href || path.startsWith(`${href}/`) ? "page" : undefined);

  const submitSearch = (event: Event) => {
    event.preventDefault();
    const q = search.trim();
    route(q ? `/books?q=${encodeURIComponent(q)}` : "/books");
  };

  return (
    <div class="app">
      <a class="skip-link" href="#main">
        Skip to content
      </a>
      <header class="site-header">
        <div class="header-inner">
          <a class="brand" href="/" aria-label="Bookstore home">
            <span class="brand-mark" aria-hidden="true">
              ❦
            </span>
            <span class="brand-name">The Bookstore</span>
          </a>
          <form class="header-search" role="search" onSubmit={submitSearch}>
            <label class="visually-hidden" for="site-search">
              Search books
            </label>
            <input
              id="site-search"
              type="search"
              placeholder="Search titles and authors"
              value={search}
              onInput={(e) => setSearch(e.currentTarget.value)}
            />
            <button type="submit" class="button button-small">
              Search
            </button>
          </form>
          <div class="header-tools">
            <RegionBadge />
            <a class="cart-link" href="/cart" aria-current={current("/cart")}>
              <CartIcon /> <span class="cart-label">Cart</span>
              {user && count > 0 && (
                <span class="cart-count" data-testid="cart-count" aria-label={`${count} items`}>
                  {count}
                </span>
              )}
            </a>
          </div>
        </div>
        <nav class="main-nav" aria-label="Main">
          <div class="nav-inner">
            {NAV.map((item) => (
              <a key={item.href} href={item.href} aria-current={current(item.href)}>
                {item.label}
              </a>
            ))}
            <span class="nav-spacer" />
            {user ? (
              <>
                <a href="/orders" aria-current={current("/orders")}>
                  My orders
                </a>
                <span class="nav-user" title={user.email}>
                  {user.email}
                </span>
                <button type="button" class="link-button" onClick={onSignOut}>
                  Sign out
                </button>
              </>
            ) : (
              <>
                <a href="/signin" aria-current={current("/signin")}>
                  Sign in
                </a>
                <a href="/signup" class="nav-cta" aria-current={current("/signup")}>
                  Create account
                </a>
              </>
            )}
          </div>
        </nav>
      </header>
      <OfflineBanner onRetry={onRetryConnection} />
      <main id="main" class="main" tabIndex={-1}>
        {children}
      </main>
      <footer class="site-footer">
        <p>The Bookstore · served from two regions at once, so one can rest while the other sells.</p>
      </footer>
    </div>
  );
}

function CartIcon() {
  return (
    <svg class="icon" viewBox="0 0 24 24" width="20" height="20" aria-hidden="true" focusable="false">
      <path
        d="M3 4h2.2l2.1 10.2a2 2 0 0 0 2 1.6h7.6a2 2 0 0 0 1.9-1.4L21 8H6.2"
        fill="none"
        stroke="currentColor"
        stroke-width="1.8"
        stroke-linecap="round"
        stroke-linejoin="round"
      />
      <circle cx="10" cy="19.5" r="1.4" fill="currentColor" />
      <circle cx="17" cy="19.5" r="1.4" fill="currentColor" />
    </svg>
  );
}
