/**
 * Every store and directory against the one contract (suites.ts): core's memory implementations,
 * SQLite on a temporary file and in memory, PostgreSQL in a schema of its own, and both of
 * Documenso's layouts (organisations, and the teams before them) for what their tables can hold.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { MemoryDirectory, MemoryTokenStore } from "@tokengate/core";
import { migrate, openDocumenso, PostgresDirectory, PostgresTokenStore } from "@tokengate/postgres";
import { openSqlite } from "@tokengate/sqlite";
import {
  describeWithServices,
  documensoSeeder,
  documensoTeamsSeeder,
  dropSchema,
  loadDocumensoSchema,
  personalTeamIdOf,
  postgresUrl,
  uniqueSchema,
} from "@tokengate/test-support";
import { Pool } from "pg";
import { CONFORMANCE_TEAMS, CONFORMANCE_USERS, directoryConformance, tokenStoreConformance } from "./suites";

tokenStoreConformance("memory", () => ({ subject: new MemoryTokenStore() }));
directoryConformance("memory", () => {
  const directory = new MemoryDirectory();
  return { subject: { directory, writes: directory } };
});

const tempDirs: string[] = [];
afterAll(() => {
  for (const dir of tempDirs) rmSync(dir, { recursive: true, force: true });
});
function sqliteFile(): string {
  const dir = mkdtempSync(join(tmpdir(), "tokengate-conformance-"));
  tempDirs.push(dir);
  return join(dir, "tokengate.db");
}

for (const [label, filename] of [
  ["sqlite (file)", sqliteFile],
  ["sqlite (:memory:)", () => ":memory:"],
] as const) {
  tokenStoreConformance(label, () => {
    const opened = openSqlite(filename());
    return { subject: opened.store, dispose: () => opened.close() };
  });
  directoryConformance(label, () => {
    const opened = openSqlite(filename());
    return {
      subject: { directory: opened.directory, writes: opened.directory },
      dispose: () => opened.close(),
    };
  });
}

describeWithServices(["postgres"], "PostgreSQL and Documenso layouts", () => {
  let pool: Pool;
  beforeAll(() => {
    pool = new Pool({ connectionString: postgresUrl, max: 4, connectionTimeoutMillis: 5000 });
  });
  afterAll(async () => {
    await pool?.end();
  });

  const inSchema =
    <T>(prefix: string, setup: (schema: string) => Promise<T>) =>
    async () => {
      const schema = uniqueSchema(prefix);
      const subject = await setup(schema);
      return { subject, dispose: () => dropSchema(pool, schema) };
    };

  tokenStoreConformance(
    "postgres",
    inSchema("tg_conf_pg", async (schema) => {
      await migrate(pool, { schema });
      return new PostgresTokenStore(pool, { schema });
    }),
    { test: it },
  );
  directoryConformance(
    "postgres",
    inSchema("tg_conf_pgdir", async (schema) => {
      await migrate(pool, { schema });
      const directory = new PostgresDirectory(pool, { schema });
      return { directory, writes: directory };
    }),
    { test: it },
  );

  // Documenso's two layouts, each opened the documented way (the layout read from the tables).
  for (const [layout, seeder, personalTeamOf] of [
    ["organisations", documensoSeeder, personalTeamIdOf],
    ["teams", documensoTeamsSeeder, undefined],
  ] as const) {
    tokenStoreConformance(
      `documenso (${layout})`,
      inSchema("tg_conf_doc", async (schema) => {
        await loadDocumensoSchema(pool, schema, layout);
        const seed = seeder(pool, schema);
        // Documenso's ApiToken rows reference real users and teams.
        for (const id of CONFORMANCE_USERS) await seed.upsertUser({ id, name: null, disabled: false });
        for (const id of CONFORMANCE_TEAMS) await seed.upsertTeam({ id, name: `team ${id}`, ownerUserId: 1 });
        const opened = await openDocumenso(pool, { schema });
        expect(opened.layout).toBe(layout);
        return opened.store;
      }),
      {
        test: it,
        scopes: false,
        lastUsed: false,
        replacedById: false,
        ...(personalTeamOf ? { personalTeamOf } : {}),
      },
    );
    directoryConformance(
      `documenso (${layout})`,
      inSchema("tg_conf_docdir", async (schema) => {
        await loadDocumensoSchema(pool, schema, layout);
        const { directory } = await openDocumenso(pool, { schema });
        return { directory, writes: seeder(pool, schema) };
      }),
      { test: it },
    );
  }
});
