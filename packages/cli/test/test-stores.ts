/**
 * The two stores a CLI test runs on: a SQLite file in a folder of its own, and PostgreSQL in a
 * schema of its own (so parallel runs and other suites never share tables). Each `--store` URL is
 * what a user would type; nothing is created until the test runs `migrate` or `serve`.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { postgresUrl } from "@tokengate/test-support";
import pg from "pg";

export interface TestStore {
  readonly kind: "sqlite" | "postgres";
  /** The services `describeWithServices` must find before the tests run. */
  readonly needs: ReadonlyArray<"postgres">;
  /** A `--store` URL for a store that does not exist yet. */
  readonly url: string;
  /** Removes the file or drops the schema. */
  cleanup(): Promise<void>;
}

let counter = 0;

/** One store of each kind, named after `label`. */
export function testStores(label: string): TestStore[] {
  const unique = `${label}_${process.pid}_${Date.now().toString(36)}_${counter++}`;
  const dir = mkdtempSync(join(tmpdir(), `tokengate-cli-${label}-`));
  const schema = `tg_cli_${unique}`.toLowerCase();
  return [
    {
      kind: "sqlite",
      needs: [],
      url: `sqlite:${join(dir, "tokens.db")}`,
      async cleanup() {
        rmSync(dir, { recursive: true, force: true });
      },
    },
    {
      kind: "postgres",
      needs: ["postgres"],
      url: `${postgresUrl}${postgresUrl.includes("?") ? "&" : "?"}schema=${schema}`,
      async cleanup() {
        const pool = new pg.Pool({ connectionString: postgresUrl, connectionTimeoutMillis: 3000 });
        await pool.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`).catch(() => undefined);
        await pool.end();
      },
    },
  ];
}
