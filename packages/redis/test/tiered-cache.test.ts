import { randomUUID } from "node:crypto";
import { type AddressInfo, connect, createServer } from "node:net";
import { silentLogger } from "@tokengate/core";
import { ControlledSource, describeWithServices, redisUrl, sharedStore } from "@tokengate/test-support";
import Redis from "ioredis";
import { type TieredCredentialCache, tieredCache } from "../src";

describeWithServices(["redis"], "tieredCache over the shared Redis", () => {
  const prefix = `tg-test:tiered:${randomUUID()}:`;
  const clients: Redis[] = [];
  const caches: TieredCredentialCache[] = [];
  let admin: Redis;

  /** One "instance": its own Redis client, its own cache, the shared store behind it. */
  async function instance(source: ControlledSource, options: Parameters<typeof tieredCache>[0] = {}) {
    const client = new Redis(redisUrl, { lazyConnect: true });
    clients.push(client);
    const cache = tieredCache({ redis: client, prefix, logger: silentLogger, ...options })(source);
    caches.push(cache);
    await cache.whenHealthy();
    return cache;
  }

  beforeAll(() => {
    admin = new Redis(redisUrl);
  });

  afterEach(async () => {
    await Promise.all(caches.splice(0).map((c) => c.close()));
    for (const c of clients.splice(0)) c.disconnect();
    let cursor = "0";
    do {
      const [next, keys] = await admin.scan(cursor, "MATCH", `${prefix}*`, "COUNT", 1000);
      cursor = next;
      if (keys.length) await admin.unlink(...keys);
    } while (cursor !== "0");
  });

  afterAll(async () => {
    await admin.quit();
  });

  it("starts quietly when its subscriber is up before its commands connection", async () => {
    const { source } = await sharedStore();
    const lines: string[] = [];
    const logger = {
      ...silentLogger,
      warn: (m: string) => lines.push(m),
      error: (m: string) => lines.push(m),
    };
    // The commands connection goes through a proxy that accepts at once but passes bytes on only
    // after 300 ms, so the subscriber is ready while the commands connection is still handshaking.
    const target = new URL(redisUrl);
    const proxy = createServer((socket) => {
      socket.pause();
      setTimeout(() => {
        const upstream = connect(Number(target.port || 6379), target.hostname);
        socket.pipe(upstream).pipe(socket);
        socket.on("close", () => upstream.destroy());
        socket.resume();
      }, 300);
    });
    await new Promise<void>((resolve) => proxy.listen(0, "127.0.0.1", resolve));
    const proxyPort = (proxy.address() as AddressInfo).port;
    try {
      const client = new Redis(redisUrl, { lazyConnect: true });
      clients.push(client);
      let commands: Redis | undefined;
      const duplicate = client.duplicate.bind(client);
      client.duplicate = (override) => {
        if (commands) return duplicate(override);
        commands = duplicate({ ...override, host: "127.0.0.1", port: proxyPort });
        return commands;
      };
      const cache = tieredCache({ redis: client, prefix, logger })(new ControlledSource(source));
      caches.push(cache);
      await cache.whenHealthy();
      // Nothing was ever down: no "unavailable", no "recovered" for an operator to wonder about.
      expect(lines).toEqual([]);
      await cache.close();
    } finally {
      proxy.close();
    }
  });

  it("a revocation through instance A is refused by instance B at once", async () => {
    const { store, issue, source } = await sharedStore();
    const { record, digest } = await issue("ci", "api_aaaaaaaaaaaaaaaa");
    const sourceA = new ControlledSource(source);
    const sourceB = new ControlledSource(source);
    const a = await instance(sourceA);
    const b = await instance(sourceB);

    expect((await a.lookup(digest))?.token.id).toBe(record.id);
    expect((await b.lookup(digest))?.token.id).toBe(record.id);
    expect((await b.lookup(digest))?.token.id).toBe(record.id);
    // B's first lookup came from the Redis entry A wrote; its second from its own LRU.
    expect(sourceB.calls).toBe(0);

    await store.delete(record.id);
    await a.invalidate([digest]);

    // No waiting: invalidate resolved only after B confirmed it had dropped the entry.
    expect(await b.lookup(digest)).toBeNull();
    expect(await admin.exists(`${prefix}cred:${digest}`)).toBe(1); // B's negative entry, not the credential
    expect(JSON.parse((await admin.get(`${prefix}cred:${digest}`))!).c).toBeNull();
  });

  it("Dates survive the trip through Redis", async () => {
    const { issue, source } = await sharedStore();
    const expiresAt = new Date("2030-05-01T12:00:00Z");
    const { digest } = await issue("dated", "api_bbbbbbbbbbbbbbbb", expiresAt);
    await (await instance(new ControlledSource(source))).lookup(digest);
    const fromRedis = await (await instance(new ControlledSource(source), { lru: false })).lookup(digest);
    expect(fromRedis?.token.expiresAt).toBeInstanceOf(Date);
    expect(fromRedis?.token.expiresAt?.getTime()).toBe(expiresAt.getTime());
    expect(fromRedis?.token.createdAt).toBeInstanceOf(Date);
  });

  it("unknown digests are remembered in both tiers, briefly", async () => {
    const { source } = await sharedStore();
    let now = new Date("2026-03-01T00:00:00Z");
    const counted = new ControlledSource(source);
    const a = await instance(counted, { now: () => now, lru: { negativeTtlMs: 5_000 } });
    const unknown = "f".repeat(128);
    expect(await a.lookup(unknown)).toBeNull();
    expect(await a.lookup(unknown)).toBeNull();
    expect(counted.calls).toBe(1);

    // Another instance finds the negative entry in Redis and spares the store too.
    const otherSource = new ControlledSource(source);
    const b = await instance(otherSource);
    expect(await b.lookup(unknown)).toBeNull();
    expect(otherSource.calls).toBe(0);
    expect(await admin.pttl(`${prefix}cred:${unknown}`)).toBeLessThanOrEqual(5_000);

    // Past the in-process negative TTL, A asks again (Redis still answers for it).
    now = new Date(now.getTime() + 5_001);
    await admin.unlink(`${prefix}cred:${unknown}`);
    expect(await a.lookup(unknown)).toBeNull();
    expect(counted.calls).toBe(2);
  });

  it("concurrent misses for one digest make one store query", async () => {
    const { issue, source } = await sharedStore();
    const { record, digest } = await issue("busy", "api_cccccccccccccccc");
    const counted = new ControlledSource(source);
    const a = await instance(counted);
    counted.hold();
    const lookups = Array.from({ length: 50 }, () => a.lookup(digest));
    await counted.started();
    counted.release();
    const results = await Promise.all(lookups);
    expect(counted.calls).toBe(1);
    expect(results.every((r) => r?.token.id === record.id)).toBe(true);
  });

  it("a load that began before a revocation does not cache the revoked token", async () => {
    const { store, issue, source } = await sharedStore();
    const { record, digest } = await issue("racy", "api_dddddddddddddddd");
    const slow = new ControlledSource(source);
    const a = await instance(slow);

    slow.hold();
    const inFlight = a.lookup(digest); // reads the store (token present), then waits
    await slow.started();
    await store.delete(record.id);
    await a.invalidate([digest]); // the revocation lands while the load is held
    slow.release();
    // The load began before the revocation, so its caller may see the old answer...
    expect((await inFlight)?.token.id).toBe(record.id);

    // ...but neither tier kept it: the next lookup goes back to the store and is refused.
    expect(await admin.exists(`${prefix}cred:${digest}`)).toBe(0);
    expect(await a.lookup(digest)).toBeNull();
    expect(slow.calls).toBe(2);
  });

  it("a load on B that began before A's revocation does not write it back to Redis", async () => {
    const { store, issue, source } = await sharedStore();
    const { record, digest } = await issue("racy-remote", "api_eeeeeeeeeeeeeeee");
    const slowB = new ControlledSource(source);
    const a = await instance(new ControlledSource(source));
    const b = await instance(slowB, { lru: false });

    slowB.hold();
    const inFlight = b.lookup(digest);
    await slowB.started();
    await store.delete(record.id);
    await a.invalidate([digest]);
    slowB.release();
    await inFlight;

    // B's conditional write saw the generation move and wrote nothing; A asks the store and refuses.
    expect(await admin.exists(`${prefix}cred:${digest}`)).toBe(0);
    expect(await a.lookup(digest)).toBeNull();
  });

  it("lookups after the revocation do not join a load that began before it", async () => {
    const { store, issue, source } = await sharedStore();
    const { record, digest } = await issue("joined", "api_ffffffffffffffff");
    const slow = new ControlledSource(source);
    const a = await instance(slow);
    slow.hold();
    const before = a.lookup(digest);
    await slow.started();
    await store.delete(record.id);
    await a.invalidate([digest]);
    slow.release();
    expect(await a.lookup(digest)).toBeNull();
    await before;
  });

  it("invalidateAll empties every instance and the Redis tier", async () => {
    const { directory, issue, source } = await sharedStore();
    const one = await issue("one", "api_gggggggggggggggg");
    const two = await issue("two", "api_hhhhhhhhhhhhhhhh");
    const sourceB = new ControlledSource(source);
    const a = await instance(new ControlledSource(source));
    const b = await instance(sourceB);
    for (const d of [one.digest, two.digest]) {
      await a.lookup(d);
      await b.lookup(d);
    }
    directory.setDisabled(1, true);
    await a.invalidateAll();
    expect(await admin.exists(`${prefix}cred:${one.digest}`, `${prefix}cred:${two.digest}`)).toBe(0);
    expect((await b.lookup(one.digest))?.actingUser?.disabled).toBe(true);
    expect(sourceB.calls).toBe(1);
  });

  it("with lru: false every lookup reads Redis, and revocations still hold", async () => {
    const { store, issue, source } = await sharedStore();
    const { record, digest } = await issue("redis-only", "api_iiiiiiiiiiiiiiii");
    const counted = new ControlledSource(source);
    const a = await instance(counted, { lru: false });
    expect(a.name).toBe("redis+redis-pubsub");
    await a.lookup(digest);
    await admin.set(`${prefix}cred:${digest}`, "not json");
    // A damaged entry is a miss, not an error.
    expect((await a.lookup(digest))?.token.id).toBe(record.id);
    expect(counted.calls).toBe(2);
    await store.delete(record.id);
    await a.invalidate([digest]);
    expect(await a.lookup(digest)).toBeNull();
  });

  it("the store's errors reach the caller", async () => {
    const failing = new ControlledSource({
      lookup: async () => {
        throw new Error("connection refused");
      },
    });
    const a = await instance(failing);
    await expect(a.lookup("0".repeat(128))).rejects.toThrow("connection refused");
    // Nothing was cached from the failure.
    expect(await admin.exists(`${prefix}cred:${"0".repeat(128)}`)).toBe(0);
  });

  it("every confirmed revocation holds on B immediately, ten times in a row", async () => {
    // Ten revocations in a row, each checked on B right after A's invalidate resolves.
    const { store, issue, source } = await sharedStore();
    const a = await instance(new ControlledSource(source));
    const b = await instance(new ControlledSource(source));
    for (let i = 0; i < 10; i++) {
      const { record, digest } = await issue(`t${i}`, `api_${String(i).padStart(16, "j")}`);
      await b.lookup(digest);
      await store.delete(record.id);
      await a.invalidate([digest]);
      expect(await b.lookup(digest)).toBeNull();
    }
  });
});
