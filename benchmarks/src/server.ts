/**
 * One contender's server, in its own process so that the load generator never shares its event
 * loop. Started by main.ts with `fork`; it answers `GET /hello` on 127.0.0.1, reports its port and
 * the token to send over IPC, its own CPU time (all threads, µs) on "cpu", and exits (writing its
 * --cpu-prof profile, if asked) on "stop".
 */
// Libraries are imported where they are used: twenty-one processes start on two cores, and a
// baseline server has no reason to load better-auth, pg or ioredis.
import { createServer, type IncomingMessage, type RequestListener, type Server } from "node:http";
import Database from "better-sqlite3";
import type { ContenderKind, ServerMessage, ServerSettings } from "./contenders";
import { HOT_TOKEN, sha512Hex } from "./dataset";
import type { BuiltGate, GateFlavour } from "./gates";

const BODY = { hello: "world" };

interface Known {
  readonly userId: number;
  readonly expiresAt: number | null;
}

/** The hand-written ideal's table: digest → owner and expiry, read once from the same SQLite file. */
function loadDigestMap(file: string): Map<string, Known> {
  const db = new Database(file, { readonly: true });
  try {
    const rows = db.prepare("SELECT digest, user_id, expires_at FROM tokens").all() as Array<{
      digest: string;
      user_id: number;
      expires_at: number | null;
    }>;
    return new Map(rows.map((r) => [r.digest, { userId: r.user_id, expiresAt: r.expires_at }]));
  } finally {
    db.close();
  }
}

/**
 * The Authorization header from Node's raw header lines, read where tokengate reads it on every
 * framework (`req.rawHeaders`, and under @hono/node-server `c.env.incoming.rawHeaders`), so the
 * ideal pays for the header what tokengate pays and no more.
 */
function rawAuthorization(rawHeaders: readonly string[]): string | undefined {
  for (let i = 0; i < rawHeaders.length; i += 2) {
    const name = rawHeaders[i]!;
    if (name.length === 13 && name.toLowerCase() === "authorization") return rawHeaders[i + 1];
  }
  return undefined;
}

/**
 * The floor any auth layer pays: read the header, one SHA-512, one Map lookup, one expiry compare.
 * No RFC 6750 challenge, no identity object: this is what a careful hand-rolled check costs.
 */
function idealCheck(map: Map<string, Known>, header: string | undefined): Known | null {
  if (header === undefined || !header.startsWith("Bearer ")) return null;
  const known = map.get(sha512Hex(header.slice(7)));
  if (!known || (known.expiresAt !== null && known.expiresAt <= Date.now())) return null;
  return known;
}

// Kept here, not imported from gates.ts: the baseline and ideal servers never load the gate code.
const FLAVOURS: Partial<Record<ContenderKind, GateFlavour>> = {
  "tokengate-warm": "warm",
  "tokengate-warm-telemetry-off": "warm-telemetry-off",
  "tokengate-warm-otel-sdk": "warm-otel-sdk",
  "tokengate-redis": "redis-only",
  "tokengate-redis-cluster": "redis-only-cluster",
  "tokengate-rate-limited": "rate-limited",
  "tokengate-rate-limited-cluster": "rate-limited-cluster",
  "tokengate-sqlite": "sqlite",
  "tokengate-postgres": "postgres",
};

type Listening = { server: Server; token: string; close?: () => Promise<void> };

async function honoApp(settings: ServerSettings, gate: BuiltGate | null): Promise<Listening> {
  const { kind } = settings.contender;
  const [{ Hono }, { serve }] = await Promise.all([import("hono"), import("@hono/node-server")]);
  const app = new Hono();
  let token = HOT_TOKEN;
  let close: (() => Promise<void>) | undefined;
  if (gate) {
    const { tokengate } = await import("@tokengate/hono");
    app.use("/hello", tokengate(gate.gate));
  }
  if (kind === "ideal") {
    const map = loadDigestMap(settings.sqliteFile);
    app.use("/hello", async (c, next) => {
      const incoming = (c.env as { incoming?: IncomingMessage } | undefined)?.incoming;
      if (!idealCheck(map, rawAuthorization(incoming!.rawHeaders))) return c.text("unauthorized", 401);
      await next();
    });
  }
  if (kind === "hono-bearer-auth") {
    const { bearerAuth } = await import("hono/bearer-auth");
    app.use("/hello", bearerAuth({ token: HOT_TOKEN }));
  }
  if (kind === "better-auth-api-key") {
    const { betterAuthVerifier } = await import("./better-auth");
    const verifier = await betterAuthVerifier();
    token = verifier.key;
    close = verifier.close;
    app.use("/hello", async (c, next) => {
      const header = c.req.header("authorization");
      const key = header?.startsWith("Bearer ") ? header.slice(7) : undefined;
      if (!key || !(await verifier.verify(key))) return c.text("unauthorized", 401);
      await next();
    });
  }
  app.get("/hello", (c) => c.json(BODY));
  const server = await new Promise<Server>((resolve) => {
    const s = serve({ fetch: app.fetch, port: 0, hostname: "127.0.0.1" }, () => resolve(s as Server));
  });
  return close ? { server, token, close } : { server, token };
}

function listen(handler: RequestListener): Promise<Server> {
  return new Promise<Server>((resolve) => {
    const server = createServer(handler);
    server.listen(0, "127.0.0.1", () => resolve(server));
  });
}

async function expressApp(settings: ServerSettings, gate: BuiltGate | null): Promise<Listening> {
  const { kind } = settings.contender;
  const { default: express } = await import("express");
  const app = express();
  app.disable("x-powered-by");
  app.disable("etag");
  if (gate) {
    const { tokengate } = await import("@tokengate/express");
    app.use("/hello", tokengate(gate.gate));
  }
  if (kind === "ideal") {
    const map = loadDigestMap(settings.sqliteFile);
    app.use("/hello", (req, res, next) => {
      if (!idealCheck(map, rawAuthorization(req.rawHeaders))) {
        res.status(401).end("unauthorized");
        return;
      }
      next();
    });
  }
  if (kind === "passport-bearer") {
    const [{ default: passport }, { Strategy: BearerStrategy }] = await Promise.all([
      import("passport"),
      import("passport-http-bearer"),
    ]);
    const map = loadDigestMap(settings.sqliteFile);
    passport.use(
      new BearerStrategy((token, done) => {
        const known = map.get(sha512Hex(token));
        if (!known || (known.expiresAt !== null && known.expiresAt <= Date.now())) return done(null, false);
        return done(null, { id: known.userId });
      }),
    );
    app.use("/hello", passport.authenticate("bearer", { session: false }));
  }
  app.get("/hello", (_req, res) => {
    res.json(BODY);
  });
  return { server: await listen(app), token: HOT_TOKEN };
}

async function koaApp(settings: ServerSettings, gate: BuiltGate | null): Promise<Listening> {
  const { kind } = settings.contender;
  const { default: Koa } = await import("koa");
  const app = new Koa();
  if (gate) {
    const { tokengate } = await import("@tokengate/koa");
    app.use(tokengate(gate.gate));
  }
  if (kind === "ideal") {
    const map = loadDigestMap(settings.sqliteFile);
    app.use(async (ctx, next) => {
      if (!idealCheck(map, rawAuthorization(ctx.req.rawHeaders))) {
        ctx.status = 401;
        ctx.body = "unauthorized";
        return;
      }
      await next();
    });
  }
  app.use((ctx) => {
    if (ctx.path === "/hello" && ctx.method === "GET") ctx.body = BODY;
  });
  return { server: await listen(app.callback()), token: HOT_TOKEN };
}

async function main(): Promise<void> {
  const settings = JSON.parse(process.argv[2] ?? "") as ServerSettings;
  const send = (message: ServerMessage) => process.send?.(message);
  const flavour = FLAVOURS[settings.contender.kind];
  let gate: BuiltGate | null = null;
  if (flavour) {
    const { buildGate, isPending } = await import("./gates");
    const built = await buildGate(flavour, settings);
    if (isPending(built)) {
      send({ type: "unavailable", reason: `pending: ${built.pending}` });
      process.disconnect?.();
      return;
    }
    gate = built;
  }
  const framework = settings.contender.framework;
  const listening =
    framework === "hono"
      ? await honoApp(settings, gate)
      : framework === "express"
        ? await expressApp(settings, gate)
        : await koaApp(settings, gate);
  const address = listening.server.address();
  if (!address || typeof address === "string") throw new Error("server has no port");
  process.on("message", (message) => {
    if (message === "cpu") {
      const { user, system } = process.cpuUsage();
      send({ type: "cpu", micros: user + system });
      return;
    }
    if (message !== "stop") return;
    listening.server.close();
    listening.server.closeAllConnections();
    void Promise.all([gate?.close(), listening.close?.()]).finally(() => process.exit(0));
  });
  send({ type: "ready", port: address.port, token: listening.token });
}

main().catch((error: unknown) => {
  process.send?.({ type: "unavailable", reason: error instanceof Error ? error.message : String(error) });
  process.exitCode = 1;
  setTimeout(() => process.exit(1), 100).unref();
});
