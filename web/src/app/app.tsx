import { LocationProvider, Route, Router, useLocation } from "preact-iso";
import { useEffect, useRef } from "preact/hooks";
import { Layout } from "@/components/layout";
import { forgetCart, loadCart } from "@/features/cart/cart-store";
import { auth, session } from "@/lib/session";
import { clearQueryCache } from "@/lib/use-query";
import type { Services } from "./provider";
import { SignInPage, SignUpPage } from "./routes/auth";
import { BestsellersPage } from "./routes/bestsellers";
import { BlogListPage, BlogPostPage } from "./routes/blog";
import { BookPage } from "./routes/book";
import { CartPage } from "./routes/cart";
import { CatalogPage } from "./routes/catalog";
import { CheckoutPage } from "./routes/checkout";
import { HomePage } from "./routes/home";
import { NotFoundPage } from "./routes/not-found";
import { OrderPage } from "./routes/order";
import { OrdersPage } from "./routes/orders";

// The SPA's blog lives at /posts: /blog/ on the same origin is WordPress itself.
export function AppRoutes() {
  return (
    <Router>
      <Route path="/" component={HomePage} />
      <Route path="/books" component={CatalogPage} />
      <Route path="/books/:id" component={BookPage} />
      <Route path="/bestsellers" component={BestsellersPage} />
      <Route path="/cart" component={CartPage} />
      <Route path="/checkout" component={CheckoutPage} />
      <Route path="/orders" component={OrdersPage} />
      <Route path="/orders/:id" component={OrderPage} />
      <Route path="/posts" component={BlogListPage} />
      <Route path="/posts/:id" component={BlogPostPage} />
      <Route path="/signin" component={SignInPage} />
      <Route path="/signup" component={SignUpPage} />
      <Route default component={NotFoundPage} />
    </Router>
  );
}

function FocusOnNavigate() {
  const { path } = useLocation();
  const first = useRef(true);
  useEffect(() => {
    if (first.current) {
      first.current = false;
      return;
    }
    window.scrollTo(0, 0);
    document.getElementById("main")?.focus({ preventScroll: true });
  }, [path]);
  return null;
}

function Shell({ services }: { services: Services }) {
  const { route } = useLocation();
  const signedIn = session.value !== null;
  useEffect(() => {
    if (signedIn) void loadCart().catch(() => null);
  }, [signedIn]);

  const signOut = () => {
    auth().signOut();
    forgetCart();
    clearQueryCache("cart");
    clearQueryCache("orders");
    route("/");
  };

  return (
    <Layout onSignOut={signOut} onRetryConnection={services.connectivity.retryNow}>
      <FocusOnNavigate />
      <AppRoutes />
    </Layout>
  );
}

export function App({ services }: { services: Services }) {
  return (
    <LocationProvider>
      <Shell services={services} />
    </LocationProvider>
  );
}
