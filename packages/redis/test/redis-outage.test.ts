import type { Logger } from "@tokengate/core";
import {
  ControlledSource,
  describeWithServices,
  eventually,
  freePort,
  type PrivateRedis,
  sharedStore,
  startPrivateRedis,
} from "@tokengate/test-support";
import Redis from "ioredis";
import { type TieredCredentialCache, tieredCache } from "../src";

function recordingLogger() {
  const lines: Array<{ level: string; message: string; meta?: Record<string, unknown> }> = [];
  const logger: Logger = {
    warn: (message, meta) => lines.push({ level: "warn", message, ...(meta ? { meta } : {}) }),
    error: (message, meta) => lines.push({ level: "error", message, ...(meta ? { meta } : {}) }),
  };
  return { logger, lines };
}

describeWithServices(["redis-server"], "tieredCache when its Redis goes away", () => {
  let server: PrivateRedis | undefined;
  let client: Redis | undefined;
  let cache: TieredCredentialCache | undefined;

  afterEach(async () => {
    await cache?.close();
    client?.disconnect();
    await server?.stop();
  });

  it("answers from the store while Redis is down, logs once each way, and serves nothing stale after", async () => {
    server = await startPrivateRedis();
    const port = server.port;
    const { store, issue, source } = await sharedStore();
    const kept = await issue("kept", "api_kkkkkkkkkkkkkkkk");
    const revoked = await issue("revoked", "api_rrrrrrrrrrrrrrrr");
    const counted = new ControlledSource(source);
    const { logger, lines } = recordingLogger();
    client = new Redis(`redis://127.0.0.1:${port}`, { lazyConnect: true });
    cache = tieredCache({
      redis: client,
      prefix: "tg-outage:",
      logger,
      redisOptions: { retryStrategy: () => 50 },
    })(counted);
    await cache.whenHealthy();

    await cache.lookup(kept.digest);
    await cache.lookup(revoked.digest);
    await cache.lookup(revoked.digest);
    expect(counted.calls).toBe(2);

    await server.kill();
    await eventually(() => cache!.degraded);

    // Still answering, from the store: the LRU is bypassed, since invalidations may be missed now.
    const started = Date.now();
    for (let i = 0; i < 20; i++) expect((await cache.lookup(kept.digest))?.token.id).toBe(kept.record.id);
    expect(counted.calls).toBe(22);
    // Nothing waited on the dead Redis (its commands are not even tried while it is away).
    expect(Date.now() - started).toBeLessThan(1000);

    // A revocation while Redis is down: refused here at once, and reported as not yet propagated.
    await store.delete(revoked.record.id);
    await expect(cache.invalidate([revoked.digest])).rejects.toMatchObject({ code: "store_unavailable" });
    expect(await cache.lookup(revoked.digest)).toBeNull();

    await server.restart(); // a new process, on the same port
    await cache.whenHealthy();
    expect(cache.degraded).toBe(false);
    expect(await cache.lookup(revoked.digest)).toBeNull();
    expect((await cache.lookup(kept.digest))?.token.id).toBe(kept.record.id);
    // Cached again once healthy: the next lookup does not reach the store.
    const calls = counted.calls;
    await cache.lookup(kept.digest);
    expect(counted.calls).toBe(calls);

    // One line when it went, one when it came back, however many requests met the outage.
    expect(lines.filter((l) => l.level === "error")).toHaveLength(1);
    expect(lines.filter((l) => l.message.endsWith("recovered"))).toHaveLength(1);
    expect(JSON.stringify(lines)).not.toContain(revoked.digest);
  });
});

describe("closing a tieredCache whose Redis never answered", () => {
  it("resolves at once and leaves no connection reconnecting behind", async () => {
    const port = await freePort(); // nothing listens there
    const client = new Redis(`redis://127.0.0.1:${port}`, { lazyConnect: true });
    // Every connection the cache opens is a duplicate of `client`: keep them, to watch them end.
    const opened: Redis[] = [];
    const duplicate = client.duplicate.bind(client);
    client.duplicate = (override) => {
      const connection = duplicate(override);
      opened.push(connection);
      return connection;
    };
    const { source } = await sharedStore();
    const cache = tieredCache({
      redis: client,
      prefix: "tg-close:",
      // A short disconnectTimeout: ioredis keeps a timer that long for a socket still connecting.
      redisOptions: { retryStrategy: () => 20, disconnectTimeout: 50 },
    })(source);
    await eventually(() => opened.every((c) => c.status === "reconnecting" || c.status === "connecting"));
    const started = Date.now();
    await cache.close();
    expect(Date.now() - started).toBeLessThan(1000);
    // Ten retry intervals later, nothing has tried again: both connections have ended.
    await new Promise((r) => setTimeout(r, 200));
    expect(opened.length).toBeGreaterThanOrEqual(2);
    expect(opened.map((c) => c.status)).toEqual(opened.map(() => "end"));
    client.disconnect();
  });
});
