/**
 * Rate limits seen from outside: headers on every authenticated response, 429 with Retry-After,
 * usage in the admin list, and the failed-auth limiter with and without trusted proxies.
 */
import type { RequestListener } from "node:http";
import { getRequestListener } from "@hono/node-server";
import type { TokenGate, TokenStore } from "@tokengate/core";
import { tokengate as expressGate } from "@tokengate/express";
import { tokengate as honoGate, tokenAdminRouter } from "@tokengate/hono";
import { tokengate as koaGate } from "@tokengate/koa";
import { FailedAuthLimiter, MemoryLimitStore, RedisLimitStore, TokenRateLimiter } from "@tokengate/redis";
import { describeWithServices, redisUrl } from "@tokengate/test-support";
import express from "express";
import { Hono } from "hono";
import { Redis } from "ioredis";
import Koa from "koa";
import supertest from "supertest";
import { bearer, buildGate, honoApp, mintToken, TEAM_ID, USER_ID } from "./fixture";

const PREFIX = `tg-test:rate-limit-gate:${process.pid}:${Date.now()}:`;
const NOW = new Date("2025-06-15T08:00:00.000Z");
const clock = () => NOW;

describeWithServices(["redis"], "rate limits through the middleware", () => {
  let redis: Redis;
  beforeAll(() => {
    redis = new Redis(redisUrl, { lazyConnect: true });
  });
  afterAll(async () => {
    const keys = await redis.keys(`${PREFIX}*`); // a few keys of this file only
    if (keys.length > 0) await redis.del(...keys);
    redis.disconnect();
  });

  it("sends RateLimit headers on every authenticated response and 429s without running the handler", async () => {
    const limiter = new TokenRateLimiter({
      store: new RedisLimitStore({ redis, prefix: `${PREFIX}a:` }),
      token: [{ name: "minute", limit: 2, windowSeconds: 60 }],
      team: { monthlyQuota: 1000 },
    });
    const gate = buildGate({ rateLimiter: limiter, clock });
    const { token } = await mintToken(gate, TEAM_ID);
    const { app, handled } = honoApp(gate);

    const first = await app.request("/api/me", { headers: bearer(token) });
    expect(first.status).toBe(200);
    expect(first.headers.get("ratelimit-policy")).toBe('"minute";q=2;w=60, "month";q=1000;w=2592000');
    expect(first.headers.get("ratelimit")).toBe('"minute";r=1;t=30, "month";r=999;t=1353600');
    expect((await app.request("/api/me", { headers: bearer(token) })).status).toBe(200);

    const refused = await app.request("/api/me", { headers: bearer(token) });
    expect(refused.status).toBe(429);
    expect(refused.headers.get("retry-after")).toBe("30");
    expect(refused.headers.get("ratelimit")).toBe('"minute";r=0;t=60, "month";r=998;t=1353600');
    expect(await refused.json()).toEqual({ error: "rate_limited", message: "Too many requests" });
    expect(handled()).toBe(2);

    // Unauthenticated requests count against nothing and carry no RateLimit fields.
    const anonymous = await app.request("/api/me");
    expect(anonymous.status).toBe(401);
    expect(anonymous.headers.get("ratelimit")).toBeNull();
  });

  it("shows each token's usage in the admin router's list", async () => {
    const limiter = new TokenRateLimiter({
      store: new RedisLimitStore({ redis, prefix: `${PREFIX}b:` }),
      token: [{ name: "minute", limit: 3, windowSeconds: 60 }],
    });
    const gate = buildGate({ rateLimiter: limiter, usageReader: limiter, clock });
    const busy = await mintToken(gate);
    const idle = await mintToken(gate);
    const { app } = honoApp(gate);
    app.route("/api-tokens", tokenAdminRouter(gate, { getActor: () => ({ userId: USER_ID }) }));
    for (let i = 0; i < 5; i++) await app.request("/api/me", { headers: bearer(busy.token) });

    const list = await app.request("/api-tokens");
    expect(list.status).toBe(200);
    const { tokens } = (await list.json()) as { tokens: Array<{ id: number; usage?: unknown }> };
    const usage = Object.fromEntries(tokens.map((t) => [t.id, t.usage]));
    expect(usage[busy.id]).toEqual({ requests: 3, rateLimited: 2, lastUsedAt: NOW.toISOString() });
    expect(usage[idle.id]).toEqual({ requests: 0, rateLimited: 0, lastUsedAt: null });
  });
});

/**
 * Each adapter over a real socket: Express and Koa read the client address and X-Forwarded-For off
 * the Node request, and so does Hono under @hono/node-server (`c.env.incoming`), not off a fetch
 * Request; all three read them only when the limiter asks.
 */
const LIMITED_APPS: ReadonlyArray<readonly [string, (gate: TokenGate) => RequestListener]> = [
  [
    "express",
    (gate) => {
      const app = express();
      app.use(expressGate(gate));
      app.get("/api/me", (_req, res) => {
        res.json({ ok: true });
      });
      return app;
    },
  ],
  [
    "koa",
    (gate) => {
      const app = new Koa();
      app.use(koaGate(gate));
      app.use((ctx) => {
        ctx.body = { ok: true };
      });
      return app.callback();
    },
  ],
  [
    "hono (@hono/node-server)",
    (gate) => {
      const app = new Hono();
      app.use(honoGate(gate));
      app.get("/api/me", (c) => c.json({ ok: true }));
      return getRequestListener(app.fetch);
    },
  ],
];

describe.each(LIMITED_APPS)("failed-authentication limiter per client address (%s)", (_name, listener) => {
  function countingStore(gateStore: TokenStore): { store: TokenStore; lookups: () => number } {
    let lookups = 0;
    const store = new Proxy(gateStore, {
      get(target, name, receiver) {
        if (name === "findByDigest") {
          return (digest: string) => {
            lookups++;
            return target.findByDigest(digest);
          };
        }
        const value = Reflect.get(target, name, receiver);
        return typeof value === "function" ? value.bind(target) : value;
      },
    });
    return { store, lookups: () => lookups };
  }

  async function limitedApp(trustedProxies?: readonly string[]) {
    const base = buildGate({});
    const counted = countingStore(base.store);
    const gate = buildGate({
      store: counted.store,
      clock,
      failureLimiter: new FailedAuthLimiter({
        store: new MemoryLimitStore(),
        maxFailures: 3,
        windowSeconds: 60,
      }),
      ...(trustedProxies ? { trustedProxies } : {}),
    });
    const { token } = await mintToken(gate);
    return { request: supertest(listener(gate)), token, lookups: counted.lookups };
  }

  const BAD = "api_0000000000000000";

  it("blocks the socket's address after 3 failures, before the store is asked, whatever X-Forwarded-For says", async () => {
    const { request, token, lookups } = await limitedApp();
    for (let i = 0; i < 3; i++) {
      const r = await request
        .get("/api/me")
        .set("authorization", `Bearer ${BAD}`)
        .set("x-forwarded-for", `203.0.113.${i}`);
      expect(r.status).toBe(401);
    }
    const before = lookups();
    const blocked = await request
      .get("/api/me")
      .set("authorization", `Bearer ${token}`)
      .set("x-forwarded-for", "198.51.100.7");
    expect(blocked.status).toBe(429);
    expect(blocked.headers["retry-after"]).toBe("20");
    expect(blocked.body).toEqual({ error: "rate_limited", message: "Too many failed attempts" });
    expect(lookups()).toBe(before);
  });

  it("believes X-Forwarded-For only from a trusted proxy, and then counts each client apart", async () => {
    const { request, token } = await limitedApp(["127.0.0.1", "::1"]);
    for (let i = 0; i < 3; i++) {
      await request
        .get("/api/me")
        .set("authorization", `Bearer ${BAD}`)
        .set("x-forwarded-for", "203.0.113.50");
    }
    const flooder = await request
      .get("/api/me")
      .set("authorization", `Bearer ${token}`)
      .set("x-forwarded-for", "203.0.113.50");
    expect(flooder.status).toBe(429);
    // A client cannot escape by prepending a fake hop: the proxy appended the real address last.
    const spoofed = await request
      .get("/api/me")
      .set("authorization", `Bearer ${token}`)
      .set("x-forwarded-for", "192.0.2.1, 203.0.113.50");
    expect(spoofed.status).toBe(429);
    const neighbour = await request
      .get("/api/me")
      .set("authorization", `Bearer ${token}`)
      .set("x-forwarded-for", "203.0.113.51");
    expect(neighbour.status).toBe(200);
  });
});
