/**
 * The lookup suite (lookup.ts) against every store and directory pair tokengate ships: memory,
 * SQLite on a file and in memory, PostgreSQL in a schema of its own, and Documenso's two layouts.
 * Each pair is resolved through its one-round-trip reader and row by row, case by case.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { MemoryDirectory, MemoryTokenStore } from "@tokengate/core";
import {
  DocumensoDirectory,
  migrate,
  openDocumenso,
  PostgresDirectory,
  PostgresTokenStore,
} from "@tokengate/postgres";
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
import { credentialLookupConformance } from "./lookup";

credentialLookupConformance(
  "memory",
  () => {
    const directory = new MemoryDirectory();
    return { subject: { store: new MemoryTokenStore(), directory, writes: directory } };
  },
  { dangling: true },
);

const tempDirs: string[] = [];
afterAll(() => {
  for (const dir of tempDirs) rmSync(dir, { recursive: true, force: true });
});
function sqliteFile(): string {
  const dir = mkdtempSync(join(tmpdir(), "tokengate-lookup-"));
  tempDirs.push(dir);
  return join(dir, "tokengate.db");
}

for (const [label, filename] of [
  ["sqlite (file)", sqliteFile],
  ["sqlite (:memory:)", () => ":memory:"],
] as const) {
  credentialLookupConformance(
    label,
    () => {
      const opened = openSqlite(filename());
      // Another database's directory: same class, other tables.
      const other = openSqlite(":memory:");
      return {
        subject: {
          store: opened.store,
          directory: opened.directory,
          writes: opened.directory,
          otherDirectories: [other.directory],
        },
        dispose: () => {
          opened.close();
          other.close();
        },
      };
    },
    { dangling: true },
  );
}

describeWithServices(["postgres"], "PostgreSQL and Documenso layouts", () => {
  let pool: Pool;
  let otherPool: Pool;
  beforeAll(() => {
    pool = new Pool({ connectionString: postgresUrl, max: 4, connectionTimeoutMillis: 5000 });
    otherPool = new Pool({ connectionString: postgresUrl, max: 1, connectionTimeoutMillis: 5000 });
  });
  afterAll(async () => {
    await pool?.end();
    await otherPool?.end();
  });

  credentialLookupConformance(
    "postgres",
    async () => {
      const schema = uniqueSchema("tg_look_pg");
      await migrate(pool, { schema });
      const directory = new PostgresDirectory(pool, { schema });
      return {
        subject: {
          store: new PostgresTokenStore(pool, { schema }),
          directory,
          writes: directory,
          otherDirectories: [
            new PostgresDirectory(pool, { schema: `${schema}_other` }),
            new PostgresDirectory(otherPool, { schema }),
          ],
        },
        dispose: () => dropSchema(pool, schema),
      };
    },
    { test: it, dangling: true },
  );

  for (const [layout, seeder, personalTeamOf] of [
    ["organisations", documensoSeeder, personalTeamIdOf],
    ["teams", documensoTeamsSeeder, undefined],
  ] as const) {
    credentialLookupConformance(
      `documenso (${layout})`,
      async () => {
        const schema = uniqueSchema("tg_look_doc");
        await loadDocumensoSchema(pool, schema, layout);
        // Opened the documented way: the layout is read from the tables.
        const { store, directory } = await openDocumenso(pool, { schema });
        const otherLayout = layout === "teams" ? "organisations" : "teams";
        return {
          subject: {
            store,
            directory,
            writes: seeder(pool, schema),
            otherDirectories: [
              new DocumensoDirectory(pool, { schema, layout: otherLayout }),
              new DocumensoDirectory(pool, { schema: "public", layout }),
              new PostgresDirectory(pool, { schema }),
            ],
          },
          dispose: () => dropSchema(pool, schema),
        };
      },
      {
        test: it,
        scopes: false,
        ...(personalTeamOf ? { personalTeamOf } : {}),
      },
    );
  }
});
