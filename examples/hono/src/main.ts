/**
 * A small documents API on Hono, protected by tokengate.
 *
 * - `POST /login` signs a user in with the app's own session cookie (a stand-in for your real login);
 * - `/api-tokens` is tokengate's admin router behind that session: users create, list, rotate and
 *   revoke their API tokens there;
 * - `/api/*` needs an API token: `GET /api/documents` lists what the token may see, and
 *   `POST /api/documents` also needs the `documents:write` scope.
 *
 * Run it with `pnpm --filter @tokengate/example-hono start` (SQLite file in ./.tokengate/).
 */
import { createHash, randomBytes, timingSafeEqual } from "node:crypto";
import { mkdirSync } from "node:fs";
import { serve } from "@hono/node-server";
import { createTokenGate, type TokenGate } from "@tokengate/core";
import { type TokenGateEnv, tokenAdminRouter, tokengate } from "@tokengate/hono";
import { openSqlite } from "@tokengate/sqlite";
import { type Context, Hono } from "hono";
import { deleteCookie, getCookie, setCookie } from "hono/cookie";
import { HTTPException } from "hono/http-exception";

/** Someone who can sign in to the app. Your app has its own users table; this is the example's. */
export interface Account {
  readonly userId: number;
  readonly email: string;
  readonly password: string;
}

export interface Document {
  readonly id: number;
  readonly title: string;
  readonly body: string;
  /** The team it belongs to, or null for the author's personal documents. */
  readonly teamId: number | null;
  readonly authorId: number;
  readonly createdAt: string;
}

export interface AppOptions {
  readonly gate: TokenGate;
  readonly accounts: readonly Account[];
}

const SESSION_COOKIE = "session";
const sha256 = (text: string) => createHash("sha256").update(text).digest();

async function readJson(c: Context): Promise<Record<string, unknown>> {
  const value: unknown = await c.req.json().catch(() => ({}));
  return typeof value === "object" && value !== null ? (value as Record<string, unknown>) : {};
}

/** The documents API. Tests drive it with `app.request`; `main()` below serves it. */
export function createApp({ gate, accounts }: AppOptions): Hono<TokenGateEnv> {
  const sessions = new Map<string, number>();
  const documents: Document[] = [];
  const app = new Hono<TokenGateEnv>();
  // Whatever a handler throws is answered as JSON with a message of our own: never a stack.
  app.onError((error, c) => {
    const status = error instanceof HTTPException && error.status < 500 ? error.status : 500;
    if (status === 500) console.error("documents API:", error.message);
    return c.json(
      status === 500
        ? { error: "internal_error", message: "The server could not complete the request" }
        : { error: "invalid_request", message: "The request is malformed" },
      status,
    );
  });

  app.post("/login", async (c) => {
    const { email, password } = await readJson(c);
    const account = accounts.find((a) => a.email === email);
    // Equal-length digests, so the comparison time says nothing about the password.
    const matches = timingSafeEqual(sha256(String(password ?? "")), sha256(account?.password ?? "\0"));
    if (!account || !matches)
      return c.json({ error: "invalid_login", message: "Wrong email or password" }, 401);
    const id = randomBytes(24).toString("base64url");
    sessions.set(id, account.userId);
    // SameSite=Strict: another site cannot make the browser create tokens with this cookie.
    setCookie(c, SESSION_COOKIE, id, { httpOnly: true, sameSite: "Strict", path: "/" });
    return c.body(null, 204);
  });

  app.post("/logout", (c) => {
    sessions.delete(getCookie(c, SESSION_COOKIE) ?? "");
    deleteCookie(c, SESSION_COOKIE, { path: "/" });
    return c.body(null, 204);
  });

  app.route(
    "/api-tokens",
    tokenAdminRouter(gate, {
      getActor: (c) => {
        const userId = sessions.get(getCookie(c, SESSION_COOKIE) ?? "");
        return userId === undefined ? null : { userId };
      },
    }),
  );

  app.use("/api/*", tokengate(gate));

  // A team token sees its team's documents; a personal token its user's personal ones.
  app.get("/api/documents", (c) => {
    const auth = c.get("auth")!;
    return c.json({
      documents: documents.filter((d) =>
        auth.teamId === null ? d.teamId === null && d.authorId === auth.userId : d.teamId === auth.teamId,
      ),
    });
  });

  app.post("/api/documents", tokengate(gate, { scopes: ["documents:write"] }), async (c) => {
    const { title, body } = await readJson(c);
    if (typeof title !== "string" || title.trim() === "") {
      return c.json({ error: "validation_failed", message: "title: a non-empty string is required" }, 400);
    }
    const auth = c.get("auth")!;
    const document: Document = {
      id: documents.length + 1,
      title: title.trim(),
      body: typeof body === "string" ? body : "",
      teamId: auth.teamId,
      authorId: auth.userId,
      createdAt: new Date().toISOString(),
    };
    documents.push(document);
    return c.json(document, 201);
  });

  return app;
}

/** Serves the example on a SQLite file, with two users and one team to try it with. */
function main(): void {
  mkdirSync(".tokengate", { recursive: true });
  const { store, directory } = openSqlite(process.env.DATABASE_FILE ?? ".tokengate/example-hono.db");
  directory
    .upsertUser({ id: 1, name: "Ada", email: "ada@example.com", disabled: false })
    .upsertUser({ id: 2, name: "Grace", email: "grace@example.com", disabled: false })
    .upsertTeam({ id: 1, name: "Docs", ownerUserId: 1 })
    .setRole(1, 1, "ADMIN")
    .setRole(1, 2, "MEMBER");
  const gate = createTokenGate({ store, directory });
  const accounts = [
    { userId: 1, email: "ada@example.com", password: "ada-password" },
    { userId: 2, email: "grace@example.com", password: "grace-password" },
  ];
  const port = Number(process.env.PORT ?? 3003);
  const server = serve({ fetch: createApp({ gate, accounts }).fetch, port, hostname: "127.0.0.1" }, () => {
    console.log(
      `documents API (Hono) on http://127.0.0.1:${port}; sign in as ada@example.com / ada-password`,
    );
  });
  const stop = () => server.close(() => void gate.close().then(() => process.exit(0)));
  process.once("SIGINT", stop);
  process.once("SIGTERM", stop);
}

if (require.main === module) main();
