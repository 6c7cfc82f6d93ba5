/**
 * One tokengate app instance, run as its own process by the revocation tests: the same gate over
 * PostgreSQL (and, with REDIS_URL, the tiered cache) served by Hono, Express or Koa.
 *
 *   FRAMEWORK=hono|express|koa  PG_URL=...  PG_SCHEMA=...  [REDIS_URL=...  REDIS_PREFIX=...]
 *   [RATE_LIMIT=<requests per minute per token>]  node --import tsx tests/revocation/app-process.ts
 *
 * REDIS_URL is `redis://…`, or `redis+cluster://h:p,…` / `redis+sentinel://h:p,…/<master>`
 * (through `connectRedis`, for the scale-out suites). With RATE_LIMIT, every authenticated request
 * also goes through a fail-closed `RedisLimitStore` on the same Redis (the scale-out failover test).
 *
 * Prints `READY <port>` on stdout once it listens on 127.0.0.1 (always an ephemeral port), and
 * exits 0 after SIGTERM once its connections, cache and pool are closed. The schema must already
 * be migrated: the test process owns the data, the app only serves it.
 *
 * Routes: `GET /me` behind `tokengate(gate)`; the admin router at `/api-tokens`, whose session is
 * the `x-test-user` header (a user id); `GET /health` answers whether the cache is degraded.
 */
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { serve } from "@hono/node-server";
import Router from "@koa/router";
import { tieredCache } from "@tokengate/cache";
import {
  type Actor,
  type AuthIdentity,
  type CredentialCacheFactory,
  createTokenGate,
  type TokenGate,
} from "@tokengate/core";
import { tokenAdminRouter as expressAdmin, tokengate as expressGate } from "@tokengate/express";
import { tokenAdminRouter as honoAdmin, tokengate as honoGate, type TokenGateEnv } from "@tokengate/hono";
import { tokenAdminRouter as koaAdmin, tokengate as koaGate } from "@tokengate/koa";
import { PostgresDirectory, PostgresTokenStore } from "@tokengate/postgres";
import { connectRedis, RedisLimitStore, redisTier, TokenRateLimiter } from "@tokengate/redis";
import express from "express";
import { Hono } from "hono";
import Redis, { type Cluster } from "ioredis";
import Koa from "koa";
import { Pool } from "pg";

const SESSION_HEADER = "x-test-user";
const ADMIN_PREFIX = "/api-tokens";

/** The application's client: `redis://` as before; Cluster and Sentinel URLs through `connectRedis`. */
function connect(url: string): Redis | Cluster {
  if (url.startsWith("redis://")) return new Redis(url, { maxRetriesPerRequest: 0 });
  return connectRedis(url);
}

function required(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`app-process: ${name} is required`);
  return value;
}

function actorFrom(value: unknown): Actor {
  return typeof value === "string" && /^[0-9]+$/.test(value) ? { userId: Number(value) } : null;
}

function meOf(auth: AuthIdentity | undefined): { userId: number | null; tokenId: number | null } {
  return { userId: auth?.userId ?? null, tokenId: auth?.tokenId ?? null };
}

/** What `/health` reports: the tiered cache says when it serves from the store only. */
function healthOf(gate: TokenGate): { cache: string | null; degraded: boolean } {
  const cache = gate.cache as (TokenGate["cache"] & { readonly degraded?: boolean }) | undefined;
  return { cache: cache?.name ?? null, degraded: cache?.degraded === true };
}

/** Listens on 127.0.0.1, ephemeral port; resolves with the server and its port. */
function listen(server: Server): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => resolve((server.address() as AddressInfo).port));
  });
}

function honoServer(gate: TokenGate): Promise<{ server: Server; port: number }> {
  const app = new Hono<TokenGateEnv>();
  app.get("/health", (c) => c.json(healthOf(gate)));
  app.use("/me", honoGate(gate));
  app.get("/me", (c) => c.json(meOf(c.get("auth"))));
  app.route(ADMIN_PREFIX, honoAdmin(gate, { getActor: (c) => actorFrom(c.req.header(SESSION_HEADER)) }));
  return new Promise((resolve) => {
    const server = serve({ fetch: app.fetch, port: 0, hostname: "127.0.0.1" }, (info) =>
      resolve({ server: server as Server, port: info.port }),
    );
  });
}

async function expressServer(gate: TokenGate): Promise<{ server: Server; port: number }> {
  const app = express();
  app.get("/health", (_req, res) => {
    res.json(healthOf(gate));
  });
  app.get("/me", expressGate(gate), (req, res) => {
    res.json(meOf(req.auth));
  });
  app.use(ADMIN_PREFIX, expressAdmin(gate, { getActor: (req) => actorFrom(req.headers[SESSION_HEADER]) }));
  const server = createServer(app);
  return { server, port: await listen(server) };
}

async function koaServer(gate: TokenGate): Promise<{ server: Server; port: number }> {
  const app = new Koa();
  const router = new Router();
  router.get("/health", (ctx) => {
    ctx.body = healthOf(gate);
  });
  router.get("/me", koaGate(gate), (ctx) => {
    ctx.body = meOf(ctx.state.auth);
  });
  app.use(router.routes());
  app.use(koaAdmin(gate, { prefix: ADMIN_PREFIX, getActor: (ctx) => actorFrom(ctx.get(SESSION_HEADER)) }));
  const server = createServer(app.callback());
  return { server, port: await listen(server) };
}

const SERVERS = { hono: honoServer, express: expressServer, koa: koaServer } as const;

async function main(): Promise<void> {
  const framework = required("FRAMEWORK");
  if (!(framework in SERVERS)) throw new Error(`app-process: unknown FRAMEWORK ${framework}`);
  const schema = required("PG_SCHEMA");
  // A bounded connect wait: an unreachable database must become a prompt 503, not a hung request.
  const pool = new Pool({ connectionString: required("PG_URL"), max: 10, connectionTimeoutMillis: 1000 });
  pool.on("error", () => {
    // An idle connection died (the database went away): the next query reports it as a 503.
  });

  let redis: Redis | Cluster | undefined;
  let cache: CredentialCacheFactory | undefined;
  let rateLimiter: TokenRateLimiter | undefined;
  const redisUrl = process.env.REDIS_URL;
  if (redisUrl) {
    // The application's own client: tokengate duplicates it for its connections and never closes it.
    redis = connect(redisUrl);
    redis.on("error", () => {
      // Redis may be killed on purpose; the cache reports the outage itself, once.
    });
    cache = tieredCache({ shared: redisTier({ redis, prefix: required("REDIS_PREFIX") }) });
    const limit = process.env.RATE_LIMIT;
    if (limit) {
      rateLimiter = new TokenRateLimiter({
        store: new RedisLimitStore({ redis, prefix: `${required("REDIS_PREFIX")}rl:` }),
        token: [{ name: "minute", limit: Number(limit), windowSeconds: 60 }],
      });
    }
  }

  const gate = createTokenGate({
    store: new PostgresTokenStore(pool, { schema }),
    directory: new PostgresDirectory(pool, { schema }),
    ...(cache ? { cache } : {}),
    ...(rateLimiter ? { rateLimiter } : {}),
    // Last-used writes are not under test; keep them off the pool the store reads through.
    usageFlushIntervalMs: false,
  });
  const { server, port } = await SERVERS[framework as keyof typeof SERVERS](gate);

  let stopping = false;
  process.on("SIGTERM", () => {
    if (stopping) return;
    stopping = true;
    // Keep-alive sockets from the test's agents would hold close() open; drop them.
    server.closeAllConnections();
    server.close(() => {
      void (async () => {
        await gate.close().catch(() => {});
        redis?.disconnect();
        await pool.end().catch(() => {});
        process.exit(0);
      })();
    });
  });

  process.stdout.write(`READY ${port}\n`);
}

main().catch((error: unknown) => {
  process.stderr.write(`app-process failed: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
