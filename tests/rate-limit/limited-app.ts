/**
 * One app instance for the two-process test: a Hono server behind tokengate whose limits live in
 * the Redis both instances share. Prints `{"port":N}` once listening.
 * Env: REDIS_URL, PREFIX, TOKEN (one plain token both instances know), NOW (frozen clock), LIMIT.
 * REDIS_URL may also be `redis+cluster://…` or `redis+sentinel://…` (the scale-out suites): those
 * go through `connectRedis`.
 */
import { serve } from "@hono/node-server";
import {
  createTokenGate,
  MemoryDirectory,
  MemoryTokenStore,
  sha512Digester,
  silentLogger,
} from "@tokengate/core";
import { type TokenGateEnv, tokengate } from "@tokengate/hono";
import { connectRedis, RedisLimitStore, TokenRateLimiter } from "@tokengate/redis";
import { Hono } from "hono";
import { type Cluster, Redis } from "ioredis";

const env = (name: string) => {
  const value = process.env[name];
  if (!value) throw new Error(`limited-app: ${name} is required`);
  return value;
};

const now = new Date(env("NOW"));
const store = new MemoryTokenStore();
// Both instances insert the same token first, so it has the same id (1) in each. (No top-level
// await: the tests package is CommonJS.)
void store.insert({
  name: "shared",
  digest: sha512Digester.digest(env("TOKEN")),
  algorithm: sha512Digester.algorithm,
  userId: 1,
  teamId: null,
  createdAt: now,
  expiresAt: null,
  scopes: [],
});
function connect(url: string): Redis | Cluster {
  return url.startsWith("redis://") ? new Redis(url) : connectRedis(url);
}
const redis = connect(env("REDIS_URL"));
const limiter = new TokenRateLimiter({
  store: new RedisLimitStore({ redis, prefix: env("PREFIX") }),
  token: [{ name: "minute", limit: Number(env("LIMIT")), windowSeconds: 60 }],
});
const gate = createTokenGate({
  store,
  directory: new MemoryDirectory().upsertUser({ id: 1, disabled: false }),
  rateLimiter: limiter,
  clock: () => now,
  logger: silentLogger,
  usageFlushIntervalMs: false,
});

const app = new Hono<TokenGateEnv>();
app.use("*", tokengate(gate));
app.get("/me", (c) => c.json({ pid: process.pid }));

// Listen only once Redis answers, as a real deployment's readiness check would.
void redis.ping().then(() => {
  const server = serve({ fetch: app.fetch, port: 0, hostname: "127.0.0.1" }, (info) => {
    process.stdout.write(`${JSON.stringify({ port: info.port })}\n`);
  });
  process.on("SIGTERM", () => {
    server.close();
    redis.disconnect();
  });
});
