import { describeWithServices, redisUrl } from "@tokengate/test-support";
import { Redis } from "ioredis";
import { RedisLimitStore, TokenRateLimiter } from "../../src";
import { freshId, identity, limiterCases, T0 } from "./limiter-cases";

const PREFIX = `tg-test:rate-limit:${process.pid}:${Date.now()}:`;

describeWithServices(["redis"], "rate limits in Redis (RedisLimitStore)", () => {
  let redis: Redis;
  let other: Redis;

  beforeAll(() => {
    redis = new Redis(redisUrl, { lazyConnect: true });
    other = new Redis(redisUrl, { lazyConnect: true });
  });

  afterAll(async () => {
    let cursor = "0";
    do {
      const [next, keys] = await redis.scan(cursor, "MATCH", `${PREFIX}*`, "COUNT", 1000);
      if (keys.length > 0) await redis.del(...keys);
      cursor = next;
    } while (cursor !== "0");
    redis.disconnect();
    other.disconnect();
  });

  describe("the shared limiter cases", () => {
    limiterCases(() => new RedisLimitStore({ redis, prefix: PREFIX }), it);
  });

  it("counts exactly across two clients (two instances' connections) under heavy concurrency", async () => {
    const windows = [{ name: "minute", limit: 137, windowSeconds: 60 }];
    const a = new TokenRateLimiter({
      store: new RedisLimitStore({ redis, prefix: PREFIX }),
      token: windows,
    });
    const b = new TokenRateLimiter({
      store: new RedisLimitStore({ redis: other, prefix: PREFIX }),
      token: windows,
    });
    const who = identity(freshId());
    const now = new Date(T0);
    const decisions = await Promise.all(
      Array.from({ length: 400 }, (_, i) => (i % 2 === 0 ? a : b).consume(who, now)),
    );
    expect(decisions.filter((d) => d.allowed)).toHaveLength(137);
    expect((await a.counts([who.tokenId])).get(who.tokenId)).toEqual({
      requests: 137,
      rateLimited: 263,
      lastUsedAt: now,
    });
  });

  it("keeps the monthly quota key alive past a frozen clock's month end (relative TTLs)", async () => {
    const team = freshId();
    const limiter = new TokenRateLimiter({
      store: new RedisLimitStore({ redis, prefix: PREFIX }),
      team: { monthlyQuota: 5 },
    });
    // A clock far in the past: an absolute expiry would already have passed on the server.
    const past = new Date("2001-05-31T23:59:00.000Z");
    await limiter.consume(identity(freshId(), team), past);
    const ttl = await redis.pttl(`${PREFIX}team:${team}:month:2001-05`);
    expect(ttl).toBeGreaterThan(60_000);
    expect(await redis.get(`${PREFIX}team:${team}:month:2001-05`)).toBe("1");
  });
});
