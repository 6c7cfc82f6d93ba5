/**
 * A small documents API on Express, protected by tokengate.
 *
 * - `POST /login` signs a user in with the app's own session cookie (a stand-in for your real login);
 * - `/api-tokens` is tokengate's admin router behind that session: users create, list, rotate and
 *   revoke their API tokens there;
 * - `/api/*` needs an API token: `GET /api/documents` lists what the token may see, and
 *   `POST /api/documents` also needs the `documents:write` scope.
 *
 * Run it with `pnpm --filter @tokengate/example-express start` (SQLite file in ./.tokengate/).
 */
import { createHash, randomBytes, timingSafeEqual } from "node:crypto";
import { mkdirSync } from "node:fs";
import { createTokenGate, type TokenGate } from "@tokengate/core";
import { tokenAdminRouter, tokengate } from "@tokengate/express";
import { openSqlite } from "@tokengate/sqlite";
import express, { type ErrorRequestHandler, type Express, type Request } from "express";

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

function cookie(req: Request, name: string): string | undefined {
  for (const part of (req.headers.cookie ?? "").split(";")) {
    const [key, ...value] = part.trim().split("=");
    if (key === name) return value.join("=");
  }
  return undefined;
}

/**
 * Whatever a handler or a parser throws is answered as JSON with a message of our own. Express's
 * default error page prints the stack, with file paths, whenever NODE_ENV is not "production".
 */
const jsonErrors: ErrorRequestHandler = (error, _req, res, next) => {
  if (res.headersSent) return next(error);
  const status = (error as { status?: unknown }).status;
  const clientError = typeof status === "number" && status >= 400 && status < 500;
  if (!clientError) console.error("documents API:", error instanceof Error ? error.message : error);
  res
    .status(clientError ? status : 500)
    .json(
      clientError
        ? { error: "invalid_request", message: "The request is malformed" }
        : { error: "internal_error", message: "The server could not complete the request" },
    );
};

/** The documents API. Tests drive it with supertest; `main()` below serves it. */
export function createApp({ gate, accounts }: AppOptions): Express {
  const sessions = new Map<string, number>();
  const documents: Document[] = [];
  const app = express();
  app.disable("x-powered-by");
  app.use(express.json({ limit: "16kb" }));

  app.post("/login", (req, res) => {
    const { email, password } = (req.body ?? {}) as { email?: unknown; password?: unknown };
    const account = accounts.find((a) => a.email === email);
    // Equal-length digests, so the comparison time says nothing about the password.
    const matches = timingSafeEqual(sha256(String(password ?? "")), sha256(account?.password ?? "\0"));
    if (!account || !matches) {
      res.status(401).json({ error: "invalid_login", message: "Wrong email or password" });
      return;
    }
    const id = randomBytes(24).toString("base64url");
    sessions.set(id, account.userId);
    // SameSite=Strict: another site cannot make the browser create tokens with this cookie.
    res.cookie(SESSION_COOKIE, id, { httpOnly: true, sameSite: "strict", path: "/" });
    res.status(204).end();
  });

  app.post("/logout", (req, res) => {
    sessions.delete(cookie(req, SESSION_COOKIE) ?? "");
    res.clearCookie(SESSION_COOKIE, { path: "/" }).status(204).end();
  });

  app.use(
    "/api-tokens",
    tokenAdminRouter(gate, {
      getActor: (req) => {
        const userId = sessions.get(cookie(req, SESSION_COOKIE) ?? "");
        return userId === undefined ? null : { userId };
      },
    }),
  );

  app.use("/api", tokengate(gate));

  // A team token sees its team's documents; a personal token its user's personal ones.
  app.get("/api/documents", (req, res) => {
    const auth = req.auth!;
    const visible = documents.filter((d) =>
      auth.teamId === null ? d.teamId === null && d.authorId === auth.userId : d.teamId === auth.teamId,
    );
    res.json({ documents: visible });
  });

  app.post("/api/documents", tokengate(gate, { scopes: ["documents:write"] }), (req, res) => {
    const { title, body } = (req.body ?? {}) as { title?: unknown; body?: unknown };
    if (typeof title !== "string" || title.trim() === "") {
      res.status(400).json({ error: "validation_failed", message: "title: a non-empty string is required" });
      return;
    }
    const auth = req.auth!;
    const document: Document = {
      id: documents.length + 1,
      title: title.trim(),
      body: typeof body === "string" ? body : "",
      teamId: auth.teamId,
      authorId: auth.userId,
      createdAt: new Date().toISOString(),
    };
    documents.push(document);
    res.status(201).json(document);
  });

  app.use(jsonErrors);
  return app;
}

/** Serves the example on a SQLite file, with two users and one team to try it with. */
function main(): void {
  mkdirSync(".tokengate", { recursive: true });
  const { store, directory } = openSqlite(process.env.DATABASE_FILE ?? ".tokengate/example-express.db");
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
  const port = Number(process.env.PORT ?? 3001);
  const server = createApp({ gate, accounts }).listen(port, "127.0.0.1", () => {
    console.log(
      `documents API (Express) on http://127.0.0.1:${port}; sign in as ada@example.com / ada-password`,
    );
  });
  const stop = () => server.close(() => void gate.close().then(() => process.exit(0)));
  process.once("SIGINT", stop);
  process.once("SIGTERM", stop);
}

if (require.main === module) main();
