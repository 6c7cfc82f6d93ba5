/**
 * Every `CredentialCache` against the one contract (credential-cache-cases.ts): each tier layout
 * `tieredCache` offers, with each invalidation transport. Redis (a server of this suite's own) and
 * the shared PostgreSQL are reached through a proxy this suite can cut, so no server is stopped.
 */
import { randomUUID } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { localInvalidation, type TieredCacheOptions, tieredCache } from "@tokengate/cache";
import { MemoryDirectory, MemoryTokenStore, silentLogger, storeLookup } from "@tokengate/core";
import { postgresInvalidation } from "@tokengate/postgres";
import { redisInvalidation, redisTier } from "@tokengate/redis";
import { openSqlite, type SqliteTokenGate, sqliteDataVersionInvalidation } from "@tokengate/sqlite";
import {
  type CuttableProxy,
  describeWithServices,
  type PrivateRedis,
  postgresUrl,
  startCuttableProxy,
  startPrivateRedis,
} from "@tokengate/test-support";
import { Redis } from "ioredis";
import pg from "pg";
import {
  CACHE_USER,
  type CacheInstance,
  type CacheWorld,
  CountingSource,
  credentialCacheCases,
  NEGATIVE_TTL_MS,
  TTL_MS,
} from "./credential-cache-cases";

const lru = { ttlMs: TTL_MS, negativeTtlMs: NEGATIVE_TTL_MS };

/** One store and directory in memory, shared by every instance as a database server would be. */
function sharedMemoryStore() {
  const store = new MemoryTokenStore();
  const directory = new MemoryDirectory().upsertUser(CACHE_USER);
  return { store, directory, lookup: storeLookup(store, directory) };
}

/** Starts a tieredCache instance over the shared memory store and waits until it serves from its tiers. */
async function tieredInstance(
  shared: ReturnType<typeof sharedMemoryStore>,
  options: TieredCacheOptions,
  start: { waitUntilReady?: boolean } = {},
): Promise<CacheInstance> {
  const source = new CountingSource(shared.lookup);
  const cache = tieredCache({ logger: silentLogger, ...options })(source);
  if (start.waitUntilReady !== false) await cache.whenHealthy();
  return { cache, source, store: shared.store, directory: shared.directory };
}

async function proxyTo(url: string, defaultPort: number): Promise<CuttableProxy> {
  const target = new URL(url);
  return startCuttableProxy({ host: target.hostname, port: Number(target.port || defaultPort) });
}

describe("tieredCache, memory only (localInvalidation)", () => {
  credentialCacheCases({
    tiers: { memory: true, shared: false },
    propagation: "none",
    clockedTtl: true,
    service: false,
    async world(now) {
      const shared = sharedMemoryStore();
      return {
        start: () => tieredInstance(shared, { invalidation: localInvalidation(), lru, clock: now }),
        dispose: async () => {},
      };
    },
  });
});

describe("tieredCache, memory with SQLite's data_version", () => {
  credentialCacheCases({
    tiers: { memory: true, shared: false },
    propagation: "on-read",
    clockedTtl: true,
    service: false,
    async world(now) {
      const dir = mkdtempSync(join(tmpdir(), "tg-conf-cache-"));
      const file = join(dir, "tokengate.db");
      const connections: SqliteTokenGate[] = [];
      return {
        // Each instance has a connection of its own to the one file, as each process would.
        async start() {
          const opened = openSqlite(file);
          // The first instance creates the user; later ones must not undo what earlier ones changed.
          if (connections.length === 0) opened.directory.upsertUser(CACHE_USER);
          connections.push(opened);
          const source = new CountingSource(storeLookup(opened.store, opened.directory));
          const cache = tieredCache({
            invalidation: sqliteDataVersionInvalidation(opened.dataVersion),
            lru,
            clock: now,
            logger: silentLogger,
          })(source);
          await cache.whenHealthy();
          return { cache, source, store: opened.store, directory: opened.directory };
        },
        async dispose() {
          for (const opened of connections) opened.close();
          rmSync(dir, { recursive: true, force: true });
        },
      };
    },
  });
});

// A redis-server of this suite's own: one case fills its memory to make it refuse writes, which the
// shared server must never see.
describeWithServices(["redis-server"], "tieredCache with Redis", () => {
  let server: PrivateRedis;
  let admin: Redis;
  beforeAll(async () => {
    server = await startPrivateRedis();
    admin = new Redis(server.url);
  });
  afterAll(async () => {
    await admin?.quit();
    await server?.kill();
  });

  /**
   * A world on the shared Redis behind a proxy: a key prefix and channel of its own, and a client
   * name carried by every connection the caches open (they are duplicates of one client).
   */
  async function redisWorld(
    build: (client: Redis, prefix: string) => TieredCacheOptions,
  ): Promise<CacheWorld> {
    const proxy = await proxyTo(server.url, 6379);
    const prefix = `tg-test:conf-cache:${randomUUID()}:`;
    const connectionName = `tgconf${randomUUID().replaceAll("-", "").slice(0, 12)}`;
    const client = new Redis({ host: proxy.host, port: proxy.port, lazyConnect: true, connectionName });
    const shared = sharedMemoryStore();
    return {
      start: (options) => tieredInstance(shared, build(client, prefix), options),
      async connections() {
        const list = (await admin.client("LIST")) as string;
        return list.split("\n").filter((line) => line.includes(` name=${connectionName} `)).length;
      },
      outage: { cut: () => proxy.cut(), restore: () => proxy.restore() },
      async refuseWrites() {
        // Over its memory limit with no eviction, Redis refuses INCR, SET and MULTI but still
        // answers GET and carries PUBLISH.
        await admin.config("SET", "maxmemory-policy", "noeviction");
        await admin.config("SET", "maxmemory", "1");
        return async () => {
          await admin.config("SET", "maxmemory", "0");
        };
      },
      async dispose() {
        client.disconnect();
        await proxy.close();
        let cursor = "0";
        do {
          const [next, keys] = await admin.scan(cursor, "MATCH", `${prefix}*`, "COUNT", 1000);
          cursor = next;
          if (keys.length) await admin.unlink(...keys);
        } while (cursor !== "0");
      },
    };
  }

  // Reconnect quickly once the proxy is back, so the outage case does not wait on ioredis' backoff.
  const redisOptions = { retryStrategy: () => 50 };

  describe("memory over Redis, invalidated over Redis pub/sub", () => {
    credentialCacheCases(
      {
        tiers: { memory: true, shared: true },
        propagation: "acknowledged",
        clockedTtl: false,
        service: true,
        world: (now) =>
          redisWorld((redis, prefix) => ({
            shared: redisTier({ redis, prefix, redisOptions }),
            lru,
            clock: now,
          })),
      },
      it,
    );
  });

  describe("Redis only (lru: false)", () => {
    credentialCacheCases(
      {
        tiers: { memory: false, shared: true },
        propagation: "acknowledged",
        clockedTtl: false,
        service: true,
        world: (now) =>
          redisWorld((redis, prefix) => ({
            shared: redisTier({ redis, prefix, redisOptions }),
            lru: false,
            clock: now,
          })),
      },
      it,
    );
  });

  describe("memory only, invalidated over Redis pub/sub (redisInvalidation)", () => {
    credentialCacheCases(
      {
        tiers: { memory: true, shared: false },
        propagation: "acknowledged",
        clockedTtl: true,
        service: true,
        world: (now) =>
          redisWorld((redis, prefix) => ({
            invalidation: redisInvalidation(redis, {
              channel: `${prefix}invalidate`,
              redisOptions,
            }),
            lru,
            clock: now,
          })),
      },
      it,
    );
  });
});

describeWithServices(["postgres"], "tieredCache, memory invalidated over PostgreSQL LISTEN/NOTIFY", () => {
  let admin: pg.Client;
  beforeAll(async () => {
    admin = new pg.Client({ connectionString: postgresUrl });
    await admin.connect();
  });
  afterAll(async () => {
    await admin.end();
  });

  credentialCacheCases(
    {
      tiers: { memory: true, shared: false },
      propagation: "eventual",
      clockedTtl: true,
      service: true,
      async world(now) {
        const proxy = await proxyTo(postgresUrl, 5432);
        const viaProxy = new URL(postgresUrl);
        viaProxy.hostname = proxy.host;
        viaProxy.port = String(proxy.port);
        const channel = `tg_conf_${randomUUID().replaceAll("-", "")}`;
        const appName = `tg-conf-${randomUUID().slice(0, 8)}`;
        const pools: pg.Pool[] = [];
        const shared = sharedMemoryStore();
        return {
          // One pool per instance, as each process has its own.
          start(options) {
            const pool = new pg.Pool({
              connectionString: viaProxy.toString(),
              application_name: appName,
              max: 2,
            });
            pool.on("error", () => {});
            pools.push(pool);
            const invalidation = postgresInvalidation(pool, { channel, maxReconnectDelayMs: 200 });
            return tieredInstance(shared, { invalidation, lru, clock: now }, options);
          },
          async connections() {
            const { rows } = await admin.query<{ n: number }>(
              "SELECT count(*)::int AS n FROM pg_stat_activity WHERE application_name = $1 AND query LIKE 'LISTEN%'",
              [appName],
            );
            return rows[0]!.n;
          },
          outage: { cut: () => proxy.cut(), restore: () => proxy.restore() },
          async dispose() {
            await Promise.all(pools.map((p) => p.end()));
            await proxy.close();
          },
        };
      },
    },
    it,
  );
});
