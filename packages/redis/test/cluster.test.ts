/**
 * The credential cache and the rate limits on a real Redis Cluster of this test's own: three
 * masters (no replicas; failover under load is the revocation suites' job) on free ports, joined
 * with CLUSTER MEET and ADDSLOTSRANGE, killed at the end.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type AuthIdentity, silentLogger } from "@tokengate/core";
import {
  ControlledSource,
  describeWithServices,
  eventually,
  freePort,
  redisServerPath,
  sharedStore,
} from "@tokengate/test-support";
import { type Cluster, Redis } from "ioredis";
import {
  connectRedis,
  type RedisClient,
  RedisLimitStore,
  type TieredCredentialCache,
  TokenRateLimiter,
  tieredCache,
} from "../src";
import { keySlot } from "../src/shard-subscriber";

const REDIS_SERVER = redisServerPath ?? "redis-server";

describeWithServices(["redis-server"], "tokengate on a Redis Cluster", () => {
  const nodes: Array<{ port: number; child: ChildProcess; admin: Redis; id: string }> = [];
  const clients: RedisClient[] = [];
  const caches: TieredCredentialCache[] = [];
  let dir: string;
  let url: string;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "tokengate-cluster-"));
    for (let i = 0; i < 3; i++) {
      const port = await freePort();
      const child = spawn(
        REDIS_SERVER,
        [
          "--port",
          String(port),
          "--bind",
          "127.0.0.1",
          "--cluster-enabled",
          "yes",
          "--cluster-config-file",
          join(dir, `nodes-${port}.conf`),
          "--save",
          "",
          "--appendonly",
          "no",
        ],
        { stdio: "ignore" },
      );
      const admin = new Redis({ port, host: "127.0.0.1", retryStrategy: () => 50, lazyConnect: true });
      admin.on("error", () => {});
      nodes.push({ port, child, admin, id: "" });
    }
    for (const node of nodes) {
      await eventually(
        () =>
          node.admin.connect().then(
            () => true,
            () => false,
          ),
        10_000,
      );
      node.id = (await node.admin.cluster("MYID")) as string;
    }
    const third = Math.floor(16384 / 3);
    await Promise.all(
      nodes.map((node, i) =>
        node.admin.call("CLUSTER", "ADDSLOTSRANGE", i * third, i === 2 ? 16383 : (i + 1) * third - 1),
      ),
    );
    for (const node of nodes.slice(1)) await nodes[0]!.admin.cluster("MEET", "127.0.0.1", node.port);
    await eventually(async () => {
      const states = await Promise.all(nodes.map((n) => n.admin.cluster("INFO") as Promise<string>));
      return states.every((s) => s.includes("cluster_state:ok") && s.includes("cluster_known_nodes:3"));
    }, 20_000);
    url = `redis+cluster://${nodes.map((n) => `127.0.0.1:${n.port}`).join(",")}`;
  }, 40_000);

  afterEach(async () => {
    await Promise.all(caches.splice(0).map((c) => c.close()));
    for (const c of clients.splice(0)) c.disconnect();
  });

  afterAll(async () => {
    for (const node of nodes) {
      node.admin.disconnect();
      node.child.kill("SIGKILL");
    }
    rmSync(dir, { recursive: true, force: true });
  });

  function client(): RedisClient {
    const c = connectRedis(url);
    c.on("error", () => {});
    clients.push(c);
    return c;
  }

  async function instance(source: ControlledSource, prefix: string) {
    const cache = tieredCache({ redis: client(), prefix, logger: silentLogger })(source);
    caches.push(cache);
    await cache.whenHealthy();
    return cache;
  }

  /** Every key under `prefix`, per master. */
  async function keysPerMaster(prefix: string): Promise<string[][]> {
    return Promise.all(nodes.map((n) => n.admin.keys(`${prefix}*`)));
  }

  test("spreads credential entries over every master, and every key expires", async () => {
    const prefix = `tg-cluster:${Date.now()}:spread:`;
    const { issue, source } = await sharedStore();
    const cache = await instance(new ControlledSource(source), prefix);
    const tokens = await Promise.all(
      Array.from({ length: 24 }, (_, i) => issue(`t${i}`, `api_${String(i).padStart(16, "s")}`)),
    );
    for (const t of tokens) expect((await cache.lookup(t.digest))?.token.id).toBe(t.record.id);
    const perMaster = await keysPerMaster(prefix);
    expect(perMaster.every((keys) => keys.length > 0)).toBe(true);
    for (const [i, keys] of perMaster.entries()) {
      for (const key of keys) expect(await nodes[i]!.admin.pttl(key)).toBeGreaterThan(0);
    }
  });

  test("a revocation resolves only once every instance has dropped the token", async () => {
    const prefix = `tg-cluster:${Date.now()}:revoke:`;
    const { store, issue, source } = await sharedStore();
    const sources = [0, 1, 2].map(() => new ControlledSource(source));
    const [a, b, c] = await Promise.all(sources.map((s) => instance(s, prefix)));
    const { record, digest } = await issue("revoked", "api_rrrrrrrrrrrrrrrr");
    for (const cache of [a!, b!, c!]) expect((await cache.lookup(digest))?.token.id).toBe(record.id);
    // Cached in every LRU: nothing asks the store again until the revocation.
    expect(sources.map((s) => s.calls)).toEqual([1, 0, 0]);

    await store.delete(record.id);
    await a!.invalidate([digest]);
    // Synchronous reads: no instance may still hold it in memory once `invalidate` resolved.
    expect([a!.peek!(digest), b!.peek!(digest), c!.peek!(digest)]).toEqual([undefined, undefined, undefined]);
    for (const cache of [a!, b!, c!]) expect(await cache.lookup(digest)).toBeNull();
  });

  test("a directory change empties the Redis tier on every master", async () => {
    const prefix = `tg-cluster:${Date.now()}:all:`;
    const { directory, issue, source } = await sharedStore();
    const sourceB = new ControlledSource(source);
    const a = await instance(new ControlledSource(source), prefix);
    const b = await instance(sourceB, prefix);
    const tokens = await Promise.all(
      Array.from({ length: 12 }, (_, i) => issue(`d${i}`, `api_${String(i).padStart(16, "d")}`)),
    );
    for (const t of tokens) await a.lookup(t.digest);
    directory.setDisabled(1, true);
    await b.invalidateAll();
    const left = (await keysPerMaster(`${prefix}cred:`)).flat();
    expect(left).toEqual([]);
    for (const t of tokens) expect((await a.lookup(t.digest))?.actingUser?.disabled).toBe(true);
  });

  test("when the channel's slot moves to another master, the caches notice, listen again, and revocations hold", async () => {
    const prefix = `tg-cluster:${Date.now()}:moved:`;
    const { store, issue, source } = await sharedStore();
    const a = await instance(new ControlledSource(source), prefix);
    const b = await instance(new ControlledSource(source), prefix);
    const slot = keySlot(`{${prefix}invalidate}`);
    const routed = clients[0] as Cluster;
    const from = nodes.find((n) => routed.slots[slot]?.[0] === `127.0.0.1:${n.port}`)!;
    const to = nodes.find((n) => n !== from)!;
    // The slot changes hands (as in a resharding); Redis unsubscribes its sharded subscribers.
    await to.admin.cluster("SETSLOT", slot, "NODE", to.id);
    await from.admin.cluster("SETSLOT", slot, "NODE", to.id);
    await eventually(() => a.degraded && b.degraded, 5_000);
    await Promise.all([a.whenHealthy(), b.whenHealthy()]);

    const { record, digest } = await issue("after-move", "api_mmmmmmmmmmmmmmmm");
    await a.lookup(digest);
    await b.lookup(digest);
    await store.delete(record.id);
    await a.invalidate([digest]);
    expect(b.peek!(digest)).toBeUndefined();
    expect(await b.lookup(digest)).toBeNull();
  }, 20_000);

  test("rate limits over three instances admit exactly the limit, token and team limits in different slots", async () => {
    const prefix = `tg-cluster:${Date.now()}:rl:`;
    const limiters = [0, 1, 2].map(
      () =>
        new TokenRateLimiter({
          store: new RedisLimitStore({ redis: client(), prefix, logger: silentLogger, timeoutMs: 5_000 }),
          token: [{ name: "minute", limit: 37, windowSeconds: 60 }],
          team: { windows: [{ name: "teamminute", limit: 50, windowSeconds: 60 }] },
        }),
    );
    const identity = (tokenId: number): AuthIdentity =>
      ({
        tokenId,
        tokenName: "t",
        userId: 1,
        teamId: 7,
        scopes: [],
        expiresAt: null,
      }) as unknown as AuthIdentity;
    const now = new Date();
    const burst = (tokenId: number) =>
      Promise.all(Array.from({ length: 90 }, (_, i) => limiters[i % 3]!.consume(identity(tokenId), now)));
    expect((await burst(1)).filter((d) => d.allowed)).toHaveLength(37); // the token's limit
    expect((await burst(2)).filter((d) => d.allowed)).toHaveLength(13); // what the team has left
    const usage = await limiters[0]!.counts([1, 2]);
    expect(usage.get(1)).toMatchObject({ requests: 37, rateLimited: 53 });
    expect(usage.get(2)).toMatchObject({ requests: 13, rateLimited: 77 });
    const keys = (await keysPerMaster(prefix)).flat();
    expect(keys.length).toBeGreaterThan(0);
  }, 20_000);
});
