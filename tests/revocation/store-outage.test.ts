/**
 * Issue 3: "the store cannot be reached and nothing valid is cached → 503 with Retry-After", through
 * running app processes. Each framework's app has the tiered cache on (Redis up) but its pg pool
 * points at a port nothing listens on: a well-formed token the cache has never seen must get 503,
 * never 401 (a server fault is not a bad credential) and never 200 (the suite never fails open),
 * and asking again must not turn the failure into a cached "no such token".
 */
import { documensoTokenFormat } from "@tokengate/core";
import { describeWithServices } from "@tokengate/test-support";
import { type Fleet, type FleetRedis, SESSION_HEADER, send, sharedRedis, startFleet } from "./app-fleet";

describeWithServices(["redis"], "app processes whose PostgreSQL pool points at a closed port", () => {
  let fleet: Fleet<FleetRedis> | undefined;

  beforeAll(async () => {
    // No schema: the pool points at a port nothing listens on.
    fleet = await startFleet({
      schema: null,
      redisPrefix: `tg-store-outage-${process.pid}:`,
      redis: sharedRedis,
    });
  }, 30_000);

  afterAll(async () => {
    // Each instance closes its sockets, cache and pool and exits 0 on SIGTERM, as a deploy would stop it.
    const codes = await fleet?.stop();
    expect(codes).toEqual(fleet?.apps.map(() => 0));
  });

  it("answer 503 with Retry-After for well-formed tokens, every time, on every framework", async () => {
    const { apps } = fleet!;
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
    const { apps } = fleet!;
    for (const app of apps) {
      const res = await send(app.agent, app.port, "GET", "/me");
      expect(res.status).toBe(401);
      expect(res.headers["www-authenticate"]).toMatch(/^Bearer realm="api"$/);
    }
  });

  it("answer the token admin with 503 and Retry-After too, not an empty list", async () => {
    const { apps } = fleet!;
    for (const app of apps) {
      const res = await send(app.agent, app.port, "GET", "/api-tokens", { [SESSION_HEADER]: "1" });
      expect(res.status).toBe(503);
      expect(res.headers["retry-after"]).toMatch(/^[1-9][0-9]*$/);
    }
  });
});
