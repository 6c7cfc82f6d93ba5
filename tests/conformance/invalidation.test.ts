/**
 * Every `InvalidationTransport` against the one contract (invalidation-cases.ts): Redis pub/sub
 * with acknowledgements and PostgreSQL LISTEN/NOTIFY, each reached through a proxy this suite can
 * cut (the shared servers are never stopped), SQLite's data_version on connections to one file, and
 * the single-process transport.
 */
import { randomUUID } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { localInvalidation } from "@tokengate/cache";
import type { InvalidationTransport } from "@tokengate/core";
import { postgresInvalidation } from "@tokengate/postgres";
import { redisInvalidation } from "@tokengate/redis";
import { openSqlite, type SqliteTokenGate, sqliteDataVersionInvalidation } from "@tokengate/sqlite";
import { describeWithServices, postgresUrl, redisUrl, startCuttableProxy } from "@tokengate/test-support";
import { Redis } from "ioredis";
import pg from "pg";
import { invalidationTransportCases } from "./invalidation-cases";

describe("localInvalidation", () => {
  invalidationTransportCases({
    name: "local",
    delivery: "none",
    world: async () => ({ open: () => localInvalidation(), dispose: async () => {} }),
  });
});

describe("sqliteDataVersionInvalidation", () => {
  invalidationTransportCases({
    name: "sqlite-data-version",
    delivery: "on-read",
    async world() {
      const dir = mkdtempSync(join(tmpdir(), "tg-conf-invalidation-"));
      const file = join(dir, "tokengate.db");
      const connections = new Map<InvalidationTransport, SqliteTokenGate>();
      let commits = 0;
      return {
        // Each instance is a connection of its own to the one file: data_version cannot tell a
        // second connection in this process from another process.
        open() {
          const opened = openSqlite(file);
          const transport = sqliteDataVersionInvalidation(opened.dataVersion);
          connections.set(transport, opened);
          return transport;
        },
        async send(from, message) {
          // The store's commit (a revocation, a user disabled) is what the others see.
          connections
            .get(from)!
            .directory.upsertUser({ id: 1, name: `commit ${++commits}`, disabled: false });
          await from.publish(message);
        },
        async dispose() {
          for (const opened of connections.values()) opened.close();
          rmSync(dir, { recursive: true, force: true });
        },
      };
    },
  });
});

describeWithServices(["redis"], "redisInvalidation (Redis pub/sub with acknowledgements)", () => {
  let admin: Redis;
  beforeAll(() => {
    admin = new Redis(redisUrl);
  });
  afterAll(async () => {
    await admin.quit();
  });

  invalidationTransportCases(
    {
      name: "redis-pubsub",
      delivery: "acknowledged",
      async world() {
        const target = new URL(redisUrl);
        const proxy = await startCuttableProxy({ host: target.hostname, port: Number(target.port || 6379) });
        const channel = `tg-test:conf-invalidation:${randomUUID()}:invalidate`;
        // Every connection a transport opens is a duplicate of this client and carries its name.
        const connectionName = `tgconf${randomUUID().replaceAll("-", "").slice(0, 12)}`;
        const client = new Redis({ host: proxy.host, port: proxy.port, lazyConnect: true, connectionName });
        const silent: Redis[] = [];
        return {
          open: () =>
            redisInvalidation(client, {
              channel,
              redisOptions: { retryStrategy: () => 50 },
            }),
          async connections() {
            const list = (await admin.client("LIST")) as string;
            return list.split("\n").filter((line) => line.includes(` name=${connectionName} `)).length;
          },
          async addSilentReceiver() {
            // A SUBSCRIBE client that never answers, as a `redis-cli` left open or a frozen process.
            const receiver = new Redis(redisUrl);
            silent.push(receiver);
            await receiver.subscribe(channel);
            return async () => {
              receiver.disconnect();
              await new Promise((r) => setTimeout(r, 50));
            };
          },
          outage: { cut: () => proxy.cut(), restore: () => proxy.restore() },
          async dispose() {
            for (const r of silent) r.disconnect();
            client.disconnect();
            await proxy.close();
          },
        };
      },
    },
    it,
  );
});

describeWithServices(["postgres"], "postgresInvalidation (LISTEN/NOTIFY)", () => {
  let admin: pg.Client;
  beforeAll(async () => {
    admin = new pg.Client({ connectionString: postgresUrl });
    await admin.connect();
  });
  afterAll(async () => {
    await admin.end();
  });

  invalidationTransportCases(
    {
      name: "postgres-notify",
      delivery: "eventual",
      async world() {
        const target = new URL(postgresUrl);
        const proxy = await startCuttableProxy({ host: target.hostname, port: Number(target.port || 5432) });
        const viaProxy = new URL(postgresUrl);
        viaProxy.hostname = proxy.host;
        viaProxy.port = String(proxy.port);
        const channel = `tg_conf_${randomUUID().replaceAll("-", "")}`;
        const appName = `tg-conf-${randomUUID().slice(0, 8)}`;
        const pools: pg.Pool[] = [];
        return {
          // One pool per instance, as each process has its own.
          open() {
            const pool = new pg.Pool({
              connectionString: viaProxy.toString(),
              application_name: appName,
              max: 2,
            });
            // A pooled client whose connection the proxy cut reports here; the query that needs it fails.
            pool.on("error", () => {});
            pools.push(pool);
            return postgresInvalidation(pool, { channel, maxReconnectDelayMs: 200 });
          },
          // The listening connections: the pool is the application's, the LISTEN connection the transport's.
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
