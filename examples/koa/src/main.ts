/**
 * A small documents API on Koa, protected by tokengate.
 *
 * - `POST /login` signs a user in with the app's own session cookie (a stand-in for your real login);
 * - `/api-tokens` is tokengate's admin router behind that session: users create, list, rotate and
 *   revoke their API tokens there;
 * - `/api/*` needs an API token: `GET /api/documents` lists what the token may see, and
 *   `POST /api/documents` also needs the `documents:write` scope.
 *
 * Run it with `pnpm --filter @tokengate/example-koa start` (SQLite file in ./.tokengate/).
 */
import { createHash, randomBytes, timingSafeEqual } from "node:crypto";
import { mkdirSync } from "node:fs";
import { METHODS } from "node:http";
import Router from "@koa/router";
import { createTokenGate, readNodeBody, type TokenGate } from "@tokengate/core";
import { protectRouter, tokenAdminRouter, tokengate } from "@tokengate/koa";
import { openSqlite } from "@tokengate/sqlite";
import Koa, { type Context, type Middleware } from "koa";

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

// A real app would use @koa/bodyparser; the example keeps to what tokengate already ships.
async function readJson(ctx: Context): Promise<Record<string, unknown>> {
  // A deadline, so a client that sends its body a byte at a time cannot hold the request open.
  const body = await readNodeBody(ctx.req, 16 * 1024, 10_000);
  if (body.kind !== "text") return {};
  try {
    const value: unknown = JSON.parse(body.text);
    return typeof value === "object" && value !== null ? (value as Record<string, unknown>) : {};
  } catch {
    return {};
  }
}

/** Whatever a handler throws is answered as JSON with a message of our own: never a stack. */
const jsonErrors: Middleware = async (ctx, next) => {
  try {
    await next();
  } catch (error) {
    const status = (error as { status?: unknown }).status;
    const clientError = typeof status === "number" && status >= 400 && status < 500;
    if (!clientError) console.error("documents API:", error instanceof Error ? error.message : error);
    ctx.status = clientError ? status : 500;
    ctx.body = clientError
      ? { error: "invalid_request", message: "The request is malformed" }
      : { error: "internal_error", message: "The server could not complete the request" };
  }
};

/** The documents API. Tests drive it with supertest; `main()` below serves it. */
export function createApp({ gate, accounts }: AppOptions): Koa {
  const sessions = new Map<string, number>();
  const documents: Document[] = [];
  const app = new Koa();
  app.use(jsonErrors);
  // Every method Node accepts gets an answer from allowedMethods() (405 or 404), never 501.
  const router = new Router({ methods: [...METHODS] });

  router.post("/login", async (ctx) => {
    const { email, password } = await readJson(ctx);
    const account = accounts.find((a) => a.email === email);
    // Equal-length digests, so the comparison time says nothing about the password.
    const matches = timingSafeEqual(sha256(String(password ?? "")), sha256(account?.password ?? "\0"));
    if (!account || !matches) {
      ctx.status = 401;
      ctx.body = { error: "invalid_login", message: "Wrong email or password" };
      return;
    }
    const id = randomBytes(24).toString("base64url");
    sessions.set(id, account.userId);
    // SameSite=Strict: another site cannot make the browser create tokens with this cookie.
    ctx.cookies.set(SESSION_COOKIE, id, { httpOnly: true, sameSite: "strict", path: "/" });
    ctx.status = 204;
  });

  router.post("/logout", (ctx) => {
    sessions.delete(ctx.cookies.get(SESSION_COOKIE) ?? "");
    ctx.cookies.set(SESSION_COOKIE, null);
    ctx.status = 204;
  });

  app.use(
    tokenAdminRouter(gate, {
      prefix: "/api-tokens",
      getActor: (ctx) => {
        const userId = sessions.get(ctx.cookies.get(SESSION_COOKIE) ?? "");
        return userId === undefined ? null : { userId };
      },
    }),
  );

  // The gate on the API router itself: it guards every path and method under /api exactly as the
  // router matches them (/API/documents too), so no route here runs without a token.
  const api = protectRouter(new Router({ prefix: "/api" }), gate);

  // A team token sees its team's documents; a personal token its user's personal ones.
  api.get("/documents", (ctx) => {
    const auth = ctx.state.auth!;
    ctx.body = {
      documents: documents.filter((d) =>
        auth.teamId === null ? d.teamId === null && d.authorId === auth.userId : d.teamId === auth.teamId,
      ),
    };
  });

  api.post("/documents", tokengate(gate, { scopes: ["documents:write"] }), async (ctx) => {
    const { title, body } = await readJson(ctx);
    if (typeof title !== "string" || title.trim() === "") {
      ctx.status = 400;
      ctx.body = { error: "validation_failed", message: "title: a non-empty string is required" };
      return;
    }
    const auth = ctx.state.auth!;
    const document: Document = {
      id: documents.length + 1,
      title: title.trim(),
      body: typeof body === "string" ? body : "",
      teamId: auth.teamId,
      authorId: auth.userId,
      createdAt: new Date().toISOString(),
    };
    documents.push(document);
    ctx.status = 201;
    ctx.body = document;
  });

  app.use(router.routes()).use(router.allowedMethods());
  app.use(api.routes()).use(api.allowedMethods());
  return app;
}

/** Serves the example on a SQLite file, with two users and one team to try it with. */
function main(): void {
  mkdirSync(".tokengate", { recursive: true });
  const { store, directory } = openSqlite(process.env.DATABASE_FILE ?? ".tokengate/example-koa.db");
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
  const port = Number(process.env.PORT ?? 3002);
  const server = createApp({ gate, accounts }).listen(port, "127.0.0.1", () => {
    console.log(`documents API (Koa) on http://127.0.0.1:${port}; sign in as ada@example.com / ada-password`);
  });
  const stop = () => server.close(() => void gate.close().then(() => process.exit(0)));
  process.once("SIGINT", stop);
  process.once("SIGTERM", stop);
}

if (require.main === module) main();
