/**
 * Issue 3: "the store cannot be reached and nothing valid is cached → 503 with Retry-After", through
 * running app processes. Each framework's app has the tiered cache on (Redis up) but its pg pool
 * points at a port nothing listens on: a well-formed token the cache has never seen must get 503,
 * never 401 (a server fault is not a bad credential) and never 200 (the suite never fails open),
 * and asking again must not turn the failure into a cached "no such token".
 */
import { documensoTokenFormat } from "@tokengate/core";
import { describeWithServices, redisUrl } from "@tokengate/test-support";
import Redis from "ioredis";
import {
  type AppProcess,
  FRAMEWORKS,
  freePort,
  killAllChildren,
  SESSION_HEADER,
  send,
  startApp,
} from "./app-fleet";

describeWithServices(["redis"], "app processes whose PostgreSQL pool points at a closed port", () => {
  const prefix = `tg-store-outage-${process.pid}:`;
  let apps: AppProcess[] = [];

  beforeAll(async () => {
    const pgUrl = `postgres://postgres@127.0.0.1:${await freePort()}/test`;
    apps = await Promise.all(
      FRAMEWORKS.map((framework) =>
        startApp(framework, { pgUrl, pgSchema: "tokengate_unreachable", redisUrl, redisPrefix: prefix }),
      ),
    );
  }, 30_000);

  afterAll(async () => {
    // Each instance closes its sockets, cache and pool and exits 0 on SIGTERM, as a deploy would stop it.
    expect(await Promise.all(apps.map((app) => app.stop()))).toEqual(apps.map(() => 0));
    await killAllChildren();
    const redis = new Redis(redisUrl);
    const keys = await redis.keys(`${prefix}*`);
    if (keys.length > 0) await redis.del(...keys);
    redis.disconnect();
  });

  it("answer 503 with Retry-After for well-formed tokens, every time, on every framework", async () => {
    const tokens = [documensoTokenFormat.generate(), documensoTokenFormat.generate()];
    for (const app of apps) {
      // Each token twice: the second ask must not be answered from a negative cache entry.
      for (const token of [...tokens, ...tokens]) {
        const started = performance.now();
        const res = await send(app.agent, app.port, "GET", "/me", { authorization: `Bearer ${token}` });
        const elapsed = performance.now() - started;
        expect({ framework: app.framework, status: res.status }).toEqual({
          framework: app.framework,
          status: 503,
        });
        expect(res.headers["retry-after"]).toMatch(/^[1-9][0-9]*$/);
        expect(JSON.parse(res.body)).toMatchObject({ error: "store_unavailable" });
        expect(res.body).not.toContain(token);
        // A refused connection fails at once; the pool's 1 s connect timeout bounds anything slower.
        expect(elapsed).toBeLessThan(3000);
      }
    }
  });

  it("still answer what needs no store: a request without credentials gets 401", async () => {
    for (const app of apps) {
      const res = await send(app.agent, app.port, "GET", "/me");
      expect(res.status).toBe(401);
      expect(res.headers["www-authenticate"]).toMatch(/^Bearer realm="api"$/);
    }
  });

  it("answer the token admin with 503 and Retry-After too, not an empty list", async () => {
    for (const app of apps) {
      const res = await send(app.agent, app.port, "GET", "/api-tokens", { [SESSION_HEADER]: "1" });
      expect(res.status).toBe(503);
      expect(res.headers["retry-after"]).toMatch(/^[1-9][0-9]*$/);
    }
  });
});
