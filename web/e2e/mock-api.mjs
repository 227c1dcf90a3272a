// A tiny stand-in for the sandbox front door, for running the Playwright journey without the
// real sandbox: the API contract (docs/openapi.json) in memory, a Cognito JSON API on a
// second port (so auth is cross-origin like the real thing), a WordPress REST API, and
// control routes to simulate faults:
//   POST /__mock/outage/<region>   that region stops serving; the other answers
//   POST /__mock/restore/<region>
//   POST /__mock/down | /__mock/up  no region answers at all (front door returns 502)
//   POST /__mock/blog/down | /__mock/blog/up
//   GET  /__mock/status            {"primary", "secondary", "serving", "down"}
// Usage: node e2e/mock-api.mjs [--port 8787] [--cognito-port 8788]
import { createServer } from "node:http";
import { existsSync, readFileSync } from "node:fs";
import { createHash, randomUUID } from "node:crypto";

const arg = (name, fallback) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : fallback;
};
const PORT = Number(arg("port", process.env.MOCK_PORT ?? 8787));
const COGNITO_PORT = Number(arg("cognito-port", process.env.MOCK_COGNITO_PORT ?? PORT + 1));
const REGIONS = ["eu-west-1", "ap-southeast-1"];
const CLIENT_ID = "mock-client-id";

const catalogFile = new URL("../../functions/catalog/books.json", import.meta.url);
const books = existsSync(catalogFile)
  ? JSON.parse(readFileSync(catalogFile, "utf8"))
  : [
      { id: "dune", title: "Dune", author: "Frank Herbert", category: "Science Fiction", price: "9.99", rating: 4.6, cover: "/covers/dune.svg", description: "Spice." },
      { id: "emma", title: "Emma", author: "Jane Austen", category: "Classics", price: "7.50", rating: 4.1, cover: "/covers/emma.svg", description: "Matchmaking." },
    ];

const state = { outage: new Set(), down: false, blogDown: false };
const users = new Map(); // email -> { password, sub }
const carts = new Map(); // sub -> Map(bookId -> quantity)
const orders = new Map(); // sub -> Order[]
const sold = new Map(); // bookId -> copies

const serving = () => REGIONS.find((r) => !state.outage.has(r)) ?? null;
const cents = (s) => Math.round(Number(s) * 100);
const money = (c) => (c / 100).toFixed(2);

function send(res, status, body, headers = {}) {
  const text = body === undefined ? "" : JSON.stringify(body);
  res.writeHead(status, { "Content-Type": "application/json", ...headers });
  res.end(text);
}
const fail = (res, status, code, message, region, field) =>
  send(res, status, { error: { code, message, field: field ?? null } }, region ? { "X-Bookstore-Region": region } : {});

const readBody = (req) =>
  new Promise((resolve) => {
    let data = "";
    req.on("data", (c) => (data += c));
    req.on("end", () => {
      try {
        resolve(data ? JSON.parse(data) : {});
      } catch {
        resolve(null);
      }
    });
  });

const b64 = (obj) => Buffer.from(JSON.stringify(obj)).toString("base64url");
const jwt = (claims) => `${b64({ alg: "none", typ: "JWT" })}.${b64(claims)}.mock`;
function tokenSub(req) {
  const m = /^Bearer (.+)$/.exec(req.headers.authorization ?? "");
  if (!m) return null;
  try {
    const claims = JSON.parse(Buffer.from(m[1].split(".")[1], "base64url").toString());
    return claims.exp * 1000 > Date.now() && claims.client_id === CLIENT_ID ? claims.sub : null;
  } catch {
    return null;
  }
}

function cartOf(sub) {
  if (!carts.has(sub)) carts.set(sub, new Map());
  return carts.get(sub);
}
function cartBody(sub) {
  const items = [...cartOf(sub)].map(([bookId, quantity]) => {
    const b = books.find((x) => x.id === bookId);
    return { bookId, title: b.title, price: b.price, quantity };
  });
  return { items, total: money(items.reduce((s, i) => s + cents(i.price) * i.quantity, 0)) };
}

async function api(req, res, path, url) {
  if (state.down) return send(res, 502, { message: "no healthy region" });
  const region = serving();
  if (!region) return send(res, 502, { message: "no healthy region" });
  const h = { "X-Bookstore-Region": region };
  const method = req.method;

  if (path === "/health") return send(res, 200, { status: "ok", region, checks: {} }, h);
  if (path === "/categories" && method === "GET") {
    const counts = new Map();
    for (const b of books) counts.set(b.category, (counts.get(b.category) ?? 0) + 1);
    return send(res, 200, { items: [...counts].sort().map(([name, count]) => ({ name, count })) }, h);
  }
  if (path === "/books" && method === "GET") {
    const category = url.searchParams.get("category");
    const q = (url.searchParams.get("q") ?? "").toLowerCase();
    const limit = Math.min(Number(url.searchParams.get("limit") ?? 20), 100);
    const start = Number(url.searchParams.get("cursor") ?? 0);
    const hits = books
      .filter((b) => !category || b.category === category)
      .filter((b) => !q || `${b.title} ${b.author}`.toLowerCase().includes(q))
      .sort((a, b) => a.title.localeCompare(b.title));
    const items = hits.slice(start, start + limit);
    return send(res, 200, { items, nextCursor: start + limit < hits.length ? String(start + limit) : null }, h);
  }
  const bookMatch = /^\/books\/([^/]+)$/.exec(path);
  if (bookMatch && method === "GET") {
    const book = books.find((b) => b.id === decodeURIComponent(bookMatch[1]));
    return book ? send(res, 200, book, h) : fail(res, 404, "not_found", "No such book.", region);
  }
  if (path === "/bestsellers" && method === "GET") {
    const items = [...sold]
      .sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))
      .slice(0, 20)
      .map(([id, n], i) => ({ rank: i + 1, sold: n, book: books.find((b) => b.id === id) }));
    return send(res, 200, { items }, h);
  }

  const sub = tokenSub(req);
  if (!sub) return send(res, 401, { message: "Unauthorized" }, h);

  if (path === "/cart" && method === "GET") return send(res, 200, cartBody(sub), h);
  const cartMatch = /^\/cart\/([^/]+)$/.exec(path);
  if (cartMatch) {
    const bookId = decodeURIComponent(cartMatch[1]);
    if (method === "DELETE") {
      cartOf(sub).delete(bookId);
      res.writeHead(204, h);
      return res.end();
    }
    if (method === "PUT") {
      const body = await readBody(req);
      const book = books.find((b) => b.id === bookId);
      if (!book) return fail(res, 404, "not_found", "No such book.", region);
      if (!body || !Number.isInteger(body.quantity) || body.quantity < 1 || body.quantity > 99) {
        return fail(res, 400, "invalid", "quantity must be 1..99", region, "quantity");
      }
      cartOf(sub).set(bookId, body.quantity);
      return send(res, 200, { bookId, title: book.title, price: book.price, quantity: body.quantity }, h);
    }
  }
  if (path === "/orders" && method === "POST") {
    const key = req.headers["idempotency-key"];
    if (typeof key !== "string" || !/^[A-Za-z0-9_-]{1,128}$/.test(key)) {
      return fail(res, 400, "invalid", "Idempotency-Key is required", region, "Idempotency-Key");
    }
    const orderId = createHash("sha256").update(`${sub}:${key}`).digest("hex").slice(0, 20);
    const existing = (orders.get(sub) ?? []).find((o) => o.orderId === orderId);
    if (existing) return send(res, 200, existing, h);
    const cart = cartBody(sub);
    if (cart.items.length === 0) return fail(res, 409, "empty_cart", "Your cart is empty.", region);
    const order = { orderId, createdAt: new Date().toISOString(), items: cart.items, total: cart.total, region };
    orders.set(sub, [order, ...(orders.get(sub) ?? [])]);
    for (const item of cart.items) sold.set(item.bookId, (sold.get(item.bookId) ?? 0) + item.quantity);
    carts.delete(sub);
    return send(res, 201, order, h);
  }
  if (path === "/orders" && method === "GET") return send(res, 200, { items: orders.get(sub) ?? [] }, h);
  const orderMatch = /^\/orders\/([^/]+)$/.exec(path);
  if (orderMatch && method === "GET") {
    const order = (orders.get(sub) ?? []).find((o) => o.orderId === orderMatch[1]);
    return order ? send(res, 200, order, h) : fail(res, 404, "not_found", "No such order.", region);
  }
  return fail(res, 404, "not_found", "No such route.", region);
}

const POSTS = [
  {
    id: 7,
    date: "2026-11-20T09:30:00",
    title: { rendered: "Autumn reading list: ten books for long evenings" },
    excerpt: { rendered: "<p>From desert planets to Victorian drawing rooms, our staff picks for the dark months.</p>" },
    content: {
      rendered:
        "<p>Our booksellers argued for a week. Here is what survived.</p><h2>Big worlds</h2><p><strong>Dune</strong> is still the one to beat.</p><script>alert('x')</script><ul><li>Dune</li><li>Hyperion</li></ul>",
    },
    _embedded: { author: [{ name: "The shop" }] },
  },
  {
    id: 5,
    date: "2026-11-02T12:00:00",
    title: { rendered: "We now sell from two regions at once" },
    excerpt: { rendered: "<p>If one region takes a nap, the other keeps the tills open.</p>" },
    content: { rendered: "<p>Behind the counter: two regions, one catalogue, no double charges.</p>" },
    _embedded: { author: [{ name: "Engineering" }] },
  },
];

function blog(res, path) {
  if (state.blogDown) {
    res.writeHead(502, { "Content-Type": "text/html" });
    return res.end("<h1>502 Bad Gateway</h1>");
  }
  if (path === "/wp-json/wp/v2/posts") return send(res, 200, POSTS);
  const m = /^\/wp-json\/wp\/v2\/posts\/(\d+)$/.exec(path);
  const post = m && POSTS.find((p) => p.id === Number(m[1]));
  if (post) return send(res, 200, post);
  return send(res, 404, { code: "rest_post_invalid_id", message: "Invalid post ID." });
}

function control(res, path) {
  let m;
  if ((m = /^\/__mock\/outage\/(.+)$/.exec(path))) state.outage.add(m[1]);
  else if ((m = /^\/__mock\/restore\/(.+)$/.exec(path))) state.outage.delete(m[1]);
  else if (path === "/__mock/down") state.down = true;
  else if (path === "/__mock/up") state.down = false;
  else if (path === "/__mock/blog/down") state.blogDown = true;
  else if (path === "/__mock/blog/up") state.blogDown = false;
  return send(res, 200, {
    primary: REGIONS[0],
    secondary: REGIONS[1],
    serving: serving(),
    down: state.down,
    outage: [...state.outage],
  });
}

createServer(async (req, res) => {
  const url = new URL(req.url, `http://127.0.0.1:${PORT}`);
  const path = url.pathname;
  try {
    if (path === "/config.json") {
      return send(res, 200, {
        apiUrl: "/api",
        blogUrl: "/blog",
        cognito: { endpoint: `http://127.0.0.1:${COGNITO_PORT}`, region: REGIONS[0], userPoolId: "eu-west-1_mock", clientId: CLIENT_ID },
      });
    }
    if (path.startsWith("/__mock/")) return control(res, path);
    if (path === "/api" || path.startsWith("/api/")) return await api(req, res, path.slice(4) || "/", url);
    if (path.startsWith("/blog")) return blog(res, path.slice(5));
    send(res, 404, { message: "mock: not found" });
  } catch (error) {
    console.error(error);
    send(res, 500, { error: { code: "internal", message: String(error) } });
  }
}).listen(PORT, "127.0.0.1", () => console.log(`mock api on http://127.0.0.1:${PORT}`));

// Cognito's JSON API, cross-origin like the real endpoint.
const cors = {
  "Access-Control-Allow-Origin": "*",
  "Access-Control-Allow-Headers": "content-type, x-amz-target, x-amz-user-agent",
  "Access-Control-Allow-Methods": "POST, OPTIONS",
};
createServer(async (req, res) => {
  if (req.method === "OPTIONS") {
    res.writeHead(204, cors);
    return res.end();
  }
  const action = String(req.headers["x-amz-target"] ?? "").split(".").pop();
  const body = (await readBody(req)) ?? {};
  const reply = (status, payload) => send(res, status, payload, { ...cors, "Content-Type": "application/x-amz-json-1.1" });
  const error = (type, message) => reply(400, { __type: type, message });
  const tokens = (email, withRefresh) => {
    const { sub } = users.get(email);
    const exp = Math.floor(Date.now() / 1000) + 3600;
    return {
      AuthenticationResult: {
        AccessToken: jwt({ sub, client_id: CLIENT_ID, username: email, token_use: "access", exp }),
        IdToken: jwt({ sub, aud: CLIENT_ID, email, token_use: "id", exp }),
        ...(withRefresh ? { RefreshToken: `refresh:${email}` } : {}),
        ExpiresIn: 3600,
        TokenType: "Bearer",
      },
    };
  };
  if (body.ClientId !== CLIENT_ID) return error("ResourceNotFoundException", "client not found");
  if (action === "SignUp") {
    if (users.has(body.Username)) return error("UsernameExistsException", "User already exists");
    if (String(body.Password).length < 8) return error("InvalidPasswordException", "Password too short");
    users.set(body.Username, { password: body.Password, sub: randomUUID() });
    return reply(200, { UserConfirmed: true, UserSub: users.get(body.Username).sub });
  }
  if (action === "InitiateAuth" && body.AuthFlow === "USER_PASSWORD_AUTH") {
    const { USERNAME, PASSWORD } = body.AuthParameters ?? {};
    if (users.get(USERNAME)?.password !== PASSWORD) return error("NotAuthorizedException", "Incorrect username or password.");
    return reply(200, tokens(USERNAME, true));
  }
  if (action === "InitiateAuth" && body.AuthFlow === "REFRESH_TOKEN_AUTH") {
    const email = String(body.AuthParameters?.REFRESH_TOKEN ?? "").replace(/^refresh:/, "");
    if (!users.has(email)) return error("NotAuthorizedException", "Invalid Refresh Token");
    return reply(200, tokens(email, false));
  }
  return error("InvalidParameterException", `unsupported: ${action}`);
}).listen(COGNITO_PORT, "127.0.0.1", () => console.log(`mock cognito on http://127.0.0.1:${COGNITO_PORT}`));
