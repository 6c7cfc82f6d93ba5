/**
 * Every `SecurityLog` against the one contract (security-log-suite.ts): the core's memory log,
 * SQLite on a temporary file and in memory, PostgreSQL in a schema of its own, and PostgreSQL in
 * Documenso mode, where the log is tokengate's own table in a schema beside Documenso's. The last
 * test walks a token's life through a gate over Documenso's tables and shows that the log added
 * nothing to them: no table, no column, and no row outside the `ApiToken` rows it was asked for.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createTokenGate, MemorySecurityLog, type SecurityEvent, silentLogger } from "@tokengate/core";
import { migrate, migrateSecurityLog, openDocumenso, PostgresSecurityLog } from "@tokengate/postgres";
import { openSqlite } from "@tokengate/sqlite";
import {
  describeWithServices,
  documensoSeeder,
  dropSchema,
  loadDocumensoSchema,
  postgresUrl,
  uniqueSchema,
} from "@tokengate/test-support";
import { Pool } from "pg";
import { securityLogConformance } from "./security-log-suite";

securityLogConformance("memory", () => ({ subject: new MemorySecurityLog() }));

const tempDirs: string[] = [];
afterAll(() => {
  for (const dir of tempDirs) rmSync(dir, { recursive: true, force: true });
});
function sqliteFile(): string {
  const dir = mkdtempSync(join(tmpdir(), "tokengate-seclog-"));
  tempDirs.push(dir);
  return join(dir, "tokengate.db");
}

for (const [label, filename] of [
  ["sqlite (file)", sqliteFile],
  ["sqlite (:memory:)", () => ":memory:"],
] as const) {
  securityLogConformance(label, () => {
    const opened = openSqlite(filename());
    return { subject: opened.securityLog, dispose: () => opened.close() };
  });
}

describe("MemorySecurityLog", () => {
  it("keeps at most maxEntries, dropping the oldest", async () => {
    const log = new MemorySecurityLog({ maxEntries: 3 });
    const base = {
      type: "created" as const,
      at: new Date(),
      actorUserId: 1,
      tokenName: "x",
      teamId: null,
      ownerUserId: 1,
      clientAddress: null,
      userAgent: null,
      count: 1,
    };
    await log.append([1, 2, 3, 4, 5].map((tokenId) => ({ ...base, tokenId })));
    expect((await log.list({ limit: 10 })).map((e) => e.tokenId)).toEqual([5, 4, 3]);
    expect(() => new MemorySecurityLog({ maxEntries: 0 })).toThrow(/maxEntries/);
  });
});

describeWithServices(["postgres"], "PostgreSQL security logs", () => {
  let pool: Pool;
  beforeAll(() => {
    pool = new Pool({ connectionString: postgresUrl, max: 4, connectionTimeoutMillis: 5000 });
  });
  afterAll(async () => {
    await pool?.end();
  });

  securityLogConformance(
    "postgres",
    async () => {
      const schema = uniqueSchema("tg_seclog_pg");
      await migrate(pool, { schema });
      return { subject: new PostgresSecurityLog(pool, { schema }), dispose: () => dropSchema(pool, schema) };
    },
    { test: it },
  );

  securityLogConformance(
    "documenso mode (a schema of tokengate's beside Documenso's)",
    async () => {
      const documenso = uniqueSchema("tg_seclog_doc");
      const own = uniqueSchema("tg_seclog_own");
      await loadDocumensoSchema(pool, documenso);
      await openDocumenso(pool, { schema: documenso });
      await migrateSecurityLog(pool, { schema: own });
      return {
        subject: new PostgresSecurityLog(pool, { schema: own }),
        dispose: async () => {
          await dropSchema(pool, own);
          await dropSchema(pool, documenso);
        },
      };
    },
    { test: it },
  );

  it("migrate and migrateSecurityLog are idempotent and agree on the table", async () => {
    const schema = uniqueSchema("tg_seclog_twice");
    try {
      await migrateSecurityLog(pool, { schema });
      await migrate(pool, { schema });
      await Promise.all([migrate(pool, { schema }), migrateSecurityLog(pool, { schema })]);
      const log = new PostgresSecurityLog(pool, { schema });
      const [stored] = await log.append([
        {
          type: "created",
          at: new Date(),
          actorUserId: 1,
          tokenId: 1,
          tokenName: "t",
          teamId: null,
          ownerUserId: 1,
          clientAddress: null,
          userAgent: null,
          count: 1,
        },
      ]);
      expect(stored!.id).toBe(1);
    } finally {
      await dropSchema(pool, schema);
    }
  });

  /** Every column of every table in a schema, and every table's row count. */
  async function snapshot(schema: string) {
    const { rows: columns } = await pool.query<{
      table_name: string;
      column_name: string;
      data_type: string;
    }>(
      `SELECT table_name, column_name, data_type FROM information_schema.columns
       WHERE table_schema = $1 ORDER BY table_name, column_name`,
      [schema],
    );
    const counts: Record<string, number> = {};
    for (const table of new Set(columns.map((c) => c.table_name))) {
      const { rows } = await pool.query<{ n: string }>(`SELECT count(*) AS n FROM "${schema}"."${table}"`);
      counts[table] = Number(rows[0]!.n);
    }
    return { columns, counts };
  }

  it("Documenso mode: the walk is in tokengate's table, and Documenso's tables gain no table, column or row", async () => {
    const documenso = uniqueSchema("tg_seclog_walk");
    const own = uniqueSchema("tg_seclog_walkown");
    try {
      await loadDocumensoSchema(pool, documenso);
      const seed = documensoSeeder(pool, documenso);
      await seed.upsertUser({ id: 1, name: "alice", disabled: false });
      await seed.upsertTeam({ id: 10, name: "acme", ownerUserId: 1 });
      await seed.setRole(10, 1, "ADMIN");
      const before = await snapshot(documenso);

      const { store, directory } = await openDocumenso(pool, { schema: documenso });
      await migrateSecurityLog(pool, { schema: own });
      const forwarded: SecurityEvent[] = [];
      const gate = createTokenGate({
        store,
        directory,
        securityLog: new PostgresSecurityLog(pool, { schema: own }),
        onEvent: (event) => void forwarded.push(event),
        usageFlushIntervalMs: false,
        logger: silentLogger,
      });
      const alice = {
        kind: "user",
        userId: 1,
        client: { clientAddress: "192.0.2.1", userAgent: "walk" },
      } as const;
      const created = await gate.service.create(alice, { tokenName: "walk", teamId: 10 });
      if (!created.ok) throw created.error;
      const verified = await gate.verifier.verify({ authorization: `Bearer ${created.value.token}` });
      expect(verified.ok).toBe(true);
      const rotated = await gate.service.rotate(alice, created.value.id, {});
      if (!rotated.ok) throw rotated.error;
      expect((await gate.service.delete(alice, rotated.value.id)).ok).toBe(true);

      const listed = await gate.service.listEvents(alice, { teamId: 10 });
      if (!listed.ok) throw listed.error;
      expect(listed.value.events.map((e) => [e.type, e.tokenId])).toEqual([
        ["revoked", rotated.value.id],
        ["created", rotated.value.id],
        ["rotated", created.value.id],
        ["created", created.value.id],
      ]);
      expect(listed.value.events[0]).toMatchObject({ clientAddress: "192.0.2.1", userAgent: "walk" });
      await gate.close();
      expect(forwarded.map((e) => e.type)).toEqual(["created", "rotated", "created", "revoked"]);

      // Documenso's schema: the same tables and columns, and the same rows (the two ApiToken
      // rows the walk created are both gone again: rotated away and revoked).
      expect(await snapshot(documenso)).toEqual(before);
      const { rows } = await pool.query<{ n: string }>(`SELECT count(*) AS n FROM "${own}".security_events`);
      expect(Number(rows[0]!.n)).toBe(4);
    } finally {
      await dropSchema(pool, own);
      await dropSchema(pool, documenso);
    }
  });
});
