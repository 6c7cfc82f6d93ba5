/**
 * What the Redis package tells `gate.health()`: the tiered cache (itself, its invalidation channel
 * and Redis) and the Redis limit store, against the shared Redis and against a port where nothing
 * listens. The cache's health without Redis is tested in `@tokengate/cache`.
 */
import { randomUUID } from "node:crypto";
import { createServer } from "node:net";
import { silentLogger } from "@tokengate/core";
import { ControlledSource, describeWithServices, redisUrl, sharedStore } from "@tokengate/test-support";
import Redis from "ioredis";
import { RedisLimitStore, type TieredCredentialCache, tieredCache } from "../src";

async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

describeWithServices(["redis"], "health over Redis", () => {
  const prefix = `tg-test:health:${randomUUID()}:`;
  const clients: Redis[] = [];
  const caches: TieredCredentialCache[] = [];

  afterEach(async () => {
    await Promise.all(caches.splice(0).map((c) => c.close()));
    for (const c of clients.splice(0)) c.disconnect();
  });

  function client(url: string): Redis {
    const redis = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => 200 });
    redis.on("error", () => {});
    clients.push(redis);
    return redis;
  }

  it("a working cache reports itself, its channel and Redis up", async () => {
    const { source } = await sharedStore();
    const cache = tieredCache({ redis: client(redisUrl), prefix, logger: silentLogger })(
      new ControlledSource(source),
    );
    caches.push(cache);
    await cache.whenHealthy();
    expect(cache.health()).toEqual({
      cache: { status: "up" },
      invalidation: { status: "up" },
      redis: { status: "up" },
    });
  });

  it("a cache whose Redis is away is degraded, serving from the store", async () => {
    const { source } = await sharedStore();
    const away = `redis://127.0.0.1:${await closedPort()}`;
    const cache = tieredCache({ redis: client(away), prefix, logger: silentLogger })(
      new ControlledSource(source),
    );
    caches.push(cache);
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(cache.health()).toEqual({
      cache: {
        status: "degraded",
        reason: "every lookup goes to the store until the channel and Redis are back",
      },
      invalidation: { status: "down", reason: "the invalidation channel (redis-pubsub) is not delivering" },
      redis: { status: "down", reason: "Redis cannot be reached, or is being flushed after an outage" },
    });
  });

  it("the limit store is up on Redis; away, down or degraded as its policy says", async () => {
    expect(await new RedisLimitStore({ redis: client(redisUrl), prefix }).health()).toEqual({ status: "up" });
    const away = `redis://127.0.0.1:${await closedPort()}`;
    const closed = new RedisLimitStore({ redis: client(away), prefix, timeoutMs: 100, logger: silentLogger });
    expect(await closed.health()).toEqual({
      status: "down",
      reason: "Redis cannot be reached: authenticated requests are refused 503",
    });
    const memory = new RedisLimitStore({
      redis: client(away),
      prefix,
      timeoutMs: 100,
      onRedisError: "memory",
      logger: silentLogger,
    });
    expect((await memory.health()).status).toBe("degraded");
  });
});
