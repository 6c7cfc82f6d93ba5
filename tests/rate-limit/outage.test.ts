/**
 * Redis stops mid-test. Each test runs its OWN redis-server on a free port and kills it: the
 * shared server on 6379 is never stopped.
 */
import { once } from "node:events";
import { FailedAuthLimiter, RedisLimitStore, TokenRateLimiter } from "@tokengate/redis";
import { describeWithServices, type PrivateRedis, startPrivateRedis } from "@tokengate/test-support";
import { Redis } from "ioredis";
import { bearer, buildGate, honoApp, mintToken } from "./fixture";

const NOW = new Date("2025-06-15T08:00:00.000Z");
const quiet = { warn() {}, error() {} };

describeWithServices(["redis-server"], "when Redis stops during limiting", () => {
  let server: PrivateRedis;
  let redis: Redis;

  beforeEach(async () => {
    server = await startPrivateRedis();
    // A short disconnectTimeout: ioredis otherwise keeps a 2 s timer for a socket the killed server
    // already closed, and jest waits for it after the last test.
    redis = new Redis(server.url, { retryStrategy: () => 50, disconnectTimeout: 100 });
  });
  afterEach(async () => {
    redis.disconnect();
    await server.kill();
  });

  async function setUp(store: RedisLimitStore) {
    const limiter = new TokenRateLimiter({ store, token: [{ name: "minute", limit: 3, windowSeconds: 60 }] });
    const gate = buildGate({
      rateLimiter: limiter,
      failureLimiter: new FailedAuthLimiter({ store, maxFailures: 5 }),
      clock: () => NOW,
      logger: quiet,
    });
    const { token } = await mintToken(gate);
    // app.request has no socket: name the client's address as a runtime without one would.
    const { app, handled } = honoApp(gate, () => "192.0.2.10");
    const get = (t: string) => app.request("/api/me", { headers: bearer(t) });
    return { get, token, handled };
  }

  async function stopRedis() {
    const closed = once(redis, "close");
    await server.kill();
    await closed;
  }

  it("fails closed by default: 503 with Retry-After, for valid and invalid tokens alike, and the handler never runs", async () => {
    const store = new RedisLimitStore({ redis, logger: quiet });
    expect(store.policy).toBe("fail-closed");
    const { get, token, handled } = await setUp(store);
    expect((await get(token)).status).toBe(200);

    await stopRedis();
    const refused = await get(token);
    expect(refused.status).toBe(503);
    expect(refused.headers.get("retry-after")).toBe("1");
    expect(await refused.json()).toEqual({
      error: "store_unavailable",
      message: "Authentication is temporarily unavailable",
    });
    expect((await get("api_0000000000000000")).status).toBe(503);
    expect(handled()).toBe(1);
    expect(store.degraded).toBe(true);
  });

  it('with onRedisError "memory" keeps limiting in this process, and goes back to Redis when it returns', async () => {
    const logged: string[] = [];
    const logger = { warn: (m: string) => logged.push(m), error: (m: string) => logged.push(m) };
    const store = new RedisLimitStore({ redis, onRedisError: "memory", logger });
    const { get, token } = await setUp(store);
    expect((await get(token)).status).toBe(200);

    await stopRedis();
    const degraded = await get(token);
    expect(degraded.status).toBe(200);
    // The memory limiter starts from nothing: the request Redis counted is not known to it.
    expect(degraded.headers.get("ratelimit")).toBe('"minute";r=2;t=20');
    expect((await get(token)).status).toBe(200);
    expect((await get(token)).status).toBe(200);
    const limited = await get(token);
    expect(limited.status).toBe(429);
    expect(limited.headers.get("retry-after")).toBe("20");
    expect(logged).toEqual(["rate limits in Redis (limiting in memory meanwhile): unavailable"]);

    server = await startPrivateRedis(server.port);
    if (redis.status !== "ready") await once(redis, "ready");
    const back = await get(token);
    // Redis still had nothing beyond its own first count (a fresh server): r counts from Redis again.
    expect(back.status).toBe(200);
    expect(back.headers.get("ratelimit")).toBe('"minute";r=2;t=20');
    expect(store.degraded).toBe(false);
    expect(logged.at(-1)).toBe("rate limits in Redis (limiting in memory meanwhile): recovered");
  });

  it("sends one EVALSHA per request for all its limits, and reloads the script after SCRIPT FLUSH", async () => {
    const store = new RedisLimitStore({ redis, logger: quiet });
    const limiter = new TokenRateLimiter({
      store,
      token: [
        { name: "minute", limit: 100, windowSeconds: 60 },
        { name: "day", limit: 5000, windowSeconds: 86_400 },
      ],
      team: { windows: [{ name: "team-minute", limit: 1000, windowSeconds: 60 }], monthlyQuota: 100_000 },
    });
    const gate = buildGate({ rateLimiter: limiter, clock: () => NOW, logger: quiet });
    const { token } = await mintToken(gate, 7);
    const { app } = honoApp(gate);
    expect((await app.request("/api/me", { headers: bearer(token) })).status).toBe(200); // loads the script

    const monitor = await redis.monitor();
    const sent: string[] = [];
    let sawPing: () => void = () => {};
    const pinged = new Promise<void>((resolve) => {
      sawPing = resolve;
    });
    monitor.on("monitor", (_time: string, args: string[], source: string) => {
      if (source !== "lua") sent.push(String(args[0]).toLowerCase());
      if (String(args[0]).toLowerCase() === "ping") sawPing();
    });
    for (let i = 0; i < 5; i++)
      expect((await app.request("/api/me", { headers: bearer(token) })).status).toBe(200);
    await redis.script("FLUSH");
    const afterFlush = await app.request("/api/me", { headers: bearer(token) });
    expect(afterFlush.status).toBe(200);
    expect(afterFlush.headers.get("ratelimit")).toMatch(
      /^"minute";r=93;t=\d+, "day";r=4993;t=\d+, "team-minute";r=993;/,
    );
    // MONITOR reports asynchronously: the PING marks the end of what this test sent.
    await redis.ping();
    await pinged;
    monitor.disconnect();
    expect(sent).toEqual([
      "evalsha",
      "evalsha",
      "evalsha",
      "evalsha",
      "evalsha",
      "script",
      "evalsha", // NOSCRIPT
      "eval",
      "ping",
    ]);
  });
});
