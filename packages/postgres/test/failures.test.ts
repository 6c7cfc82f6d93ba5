/**
 * When PostgreSQL cannot answer, the store rejects promptly, so the core answers 503 (never 401,
 * never a pass, never a hang), and the pool recovers once the database is back.
 */
import { createServer } from "node:net";
import {
  documensoTokenFormat,
  MemoryDirectory,
  sha512Digester,
  silentLogger,
  storeLookup,
  TokenVerifier,
} from "@tokengate/core";
import { describeWithServices, dropSchema, postgresUrl, uniqueSchema } from "@tokengate/test-support";
import { Pool } from "pg";
import { migrate, PostgresTokenStore } from "../src/index";

const DIGEST = sha512Digester.digest("api_0000000000000000");

/** A port nothing listens on: bound, then released. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (address === null || typeof address === "string") throw new Error("no port");
  return address.port;
}

function verifierOver(store: PostgresTokenStore): TokenVerifier {
  return new TokenVerifier({
    lookup: storeLookup(store, new MemoryDirectory()),
    digesters: [sha512Digester],
    formats: [documensoTokenFormat],
    clock: () => new Date("2025-06-01T00:00:00Z"),
    realm: "api",
    logger: silentLogger,
  });
}

describe("PostgreSQL that cannot be reached", () => {
  it("a closed port makes findByDigest reject within the connection timeout, and verification answers 503", async () => {
    const pool = new Pool({
      host: "127.0.0.1",
      port: await closedPort(),
      user: "postgres",
      connectionTimeoutMillis: 1000,
    });
    const store = new PostgresTokenStore(pool);
    try {
      const started = Date.now();
      await expect(store.findByDigest(DIGEST)).rejects.toThrow(/ECONNREFUSED|connect/);
      expect(Date.now() - started).toBeLessThan(3000);

      const outcome = await verifierOver(store).verify({ authorization: "Bearer api_0000000000000000" });
      expect(outcome.ok).toBe(false);
      if (outcome.ok) return;
      expect(outcome.error.code).toBe("store_unavailable");
      expect(outcome.answer.status).toBe(503);
      expect(outcome.answer.headers["Retry-After"] ?? outcome.answer.headers["retry-after"]).toBeDefined();
    } finally {
      await pool.end();
    }
  });
});

describeWithServices(["postgres"], "PostgreSQL going away under a running store", () => {
  const schema = uniqueSchema("tg_failures");
  const applicationName = `tokengate-failures-${process.pid}`;
  let admin: Pool;

  beforeAll(async () => {
    admin = new Pool({ connectionString: postgresUrl, max: 2 });
    await migrate(admin, { schema });
  });
  afterAll(async () => {
    if (admin) {
      await dropSchema(admin, schema);
      await admin.end();
    }
  });

  it("after the pool is ended, findByDigest rejects instead of hanging", async () => {
    const pool = new Pool({ connectionString: postgresUrl, connectionTimeoutMillis: 1000 });
    const store = new PostgresTokenStore(pool, { schema });
    expect(await store.findByDigest(DIGEST)).toBeNull();
    await pool.end();
    await expect(store.findByDigest(DIGEST)).rejects.toThrow(/after calling end/);
  });

  it("a backend killed mid-query (pg_terminate_backend) rejects that query; the next one reconnects", async () => {
    const pool = new Pool({
      connectionString: postgresUrl,
      max: 1,
      connectionTimeoutMillis: 1000,
      application_name: applicationName,
    });
    const store = new PostgresTokenStore(pool, { schema });
    const locker = await admin.connect();
    try {
      // Hold the table so the store's query is in flight, waiting, when its backend is killed.
      await locker.query(`BEGIN; LOCK TABLE "${schema}".tokens IN ACCESS EXCLUSIVE MODE`);
      const pending = store.findByDigest(DIGEST);
      const outcome = pending.then(
        () => "resolved",
        (error: Error) => error.message,
      );
      let pid: number | undefined;
      for (let i = 0; i < 200 && pid === undefined; i++) {
        const { rows } = await admin.query<{ pid: number }>(
          "SELECT pid FROM pg_stat_activity WHERE application_name = $1 AND wait_event_type = 'Lock'",
          [applicationName],
        );
        pid = rows[0]?.pid;
      }
      expect(pid).toBeDefined();
      await admin.query("SELECT pg_terminate_backend($1)", [pid]);
      expect(await outcome).toMatch(/terminat/);
      await locker.query("ROLLBACK");

      expect(await store.findByDigest(DIGEST)).toBeNull();
    } finally {
      locker.release();
      await pool.end();
    }
  });

  it("an idle pooled connection killed by the server is logged, not an uncaught crash", async () => {
    const pool = new Pool({
      connectionString: postgresUrl,
      max: 1,
      application_name: `${applicationName}-idle`,
    });
    let logged: (message: string) => void = () => {};
    const warned = new Promise<string>((resolve) => {
      logged = resolve;
    });
    const store = new PostgresTokenStore(pool, { schema, logger: { warn: logged, error: logged } });
    try {
      // The store's listener is the only one: without it, the pool's `error` event would kill jest.
      expect(pool.listenerCount("error")).toBe(1);
      expect(await store.findByDigest(DIGEST)).toBeNull();
      await admin.query(
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = $1",
        [`${applicationName}-idle`],
      );
      expect(await warned).toMatch(/idle connection failed/);
      expect(await store.findByDigest(DIGEST)).toBeNull();
    } finally {
      await pool.end();
    }
  });
});

describeWithServices(["postgres"], "migrate", () => {
  it("is idempotent and safe when several instances run it at once", async () => {
    const schema = uniqueSchema("tg_migrate");
    const pool = new Pool({ connectionString: postgresUrl, max: 4 });
    try {
      await Promise.all([migrate(pool, { schema }), migrate(pool, { schema }), migrate(pool, { schema })]);
      await migrate(pool, { schema });
      const { rows } = await pool.query<{ table_name: string }>(
        "SELECT table_name FROM information_schema.tables WHERE table_schema = $1 ORDER BY table_name",
        [schema],
      );
      expect(rows.map((r) => r.table_name)).toEqual([
        "memberships",
        "security_events",
        "teams",
        "tokens",
        "users",
      ]);
    } finally {
      await dropSchema(pool, schema);
      await pool.end();
    }
  });

  it("refuses a schema name that would need escaping", async () => {
    const pool = new Pool({ connectionString: postgresUrl });
    try {
      await expect(migrate(pool, { schema: 'x"; DROP TABLE users; --' })).rejects.toThrow(
        /invalid PostgreSQL schema/,
      );
      expect(() => new PostgresTokenStore(pool, { schema: "a-b" })).toThrow(/invalid PostgreSQL schema/);
    } finally {
      await pool.end();
    }
  });
});
