/**
 * Opening the store a `--store` URL names (store-location.ts reads the URL), creating what is
 * missing for `serve` and `migrate` or refusing a store that does not exist for every other command.
 */
import { existsSync, mkdirSync } from "node:fs";
import { dirname } from "node:path";
import {
  type Directory,
  type DirectoryTeam,
  type DirectoryUser,
  MemoryDirectory,
  MemorySecurityLog,
  MemoryTokenStore,
  type SecurityLog,
  type TeamRole,
  type TokenStore,
} from "@tokengate/core";
import { migrate, PostgresDirectory, PostgresSecurityLog, PostgresTokenStore } from "@tokengate/postgres";
import { openSqlite } from "@tokengate/sqlite";
import pg from "pg";
import { POSTGRES_CONNECT_MS, seconds } from "./deadline";
import { describeLocation, MissingStoreError, parseStoreUrl, type StoreLocation } from "./store-location";
import { CommandFailure, UsageError } from "./usage-error";

/**
 * The directory writes the demo seeds with and the `users` and `teams` commands make: SQLite's and
 * memory's are synchronous, PostgreSQL's are not.
 */
export interface SeedableDirectory extends Directory {
  upsertUser(user: DirectoryUser): unknown;
  /** Throws (or rejects) when there is no such user. */
  setDisabled(userId: number, disabled: boolean): unknown;
  upsertTeam(team: DirectoryTeam): unknown;
  setRole(teamId: number, userId: number, role: TeamRole | null): unknown;
}

/** A store and its directory, opened from a `--store` URL. */
export interface OpenedStore {
  readonly location: StoreLocation;
  readonly store: TokenStore;
  readonly directory: SeedableDirectory;
  /** The token security log, kept beside the tokens. */
  readonly securityLog: SecurityLog;
  /** Creates the tables if they are missing (SQLite already has them once opened). */
  migrate(): Promise<void>;
  close(): Promise<void>;
}

/** How `openStore` treats a store that is not there yet. */
export interface OpenStoreOptions {
  /**
   * Refuse a store that does not exist (an admin command) instead of creating it (`serve`,
   * `migrate`): a missing SQLite file, PostgreSQL without tokengate's tables, or `memory`, which
   * exists only inside one process.
   */
  readonly mustExist?: boolean;
  /** Bounds each PostgreSQL query, in ms (one-shot commands); a server leaves queries unbounded. */
  readonly queryTimeoutMs?: number;
}

/** A PostgreSQL failure in words for the operator: which server, and whether it answered at all. */
function postgresFailure(location: StoreLocation & { kind: "postgres" }, error: unknown): CommandFailure {
  const message = error instanceof Error ? error.message.split("\n")[0]! : String(error);
  // node-postgres says "timeout" for both its connection and its query timeouts.
  const code = (error as { code?: unknown } | null)?.code;
  const why = /timeout/i.test(message)
    ? `did not answer within ${seconds(POSTGRES_CONNECT_MS)}`
    : // A system error (ECONNREFUSED, ENOTFOUND…) means no server; anything else is its answer.
      typeof code === "string" && code.startsWith("E")
      ? `is not reachable (${message})`
      : `failed: ${message}`;
  return new CommandFailure(`PostgreSQL at ${describeLocation(location)} ${why}`);
}

/**
 * Opens the store and directory a `--store` URL names. SQLite creates its file (and the folder)
 * and tables on first use, and PostgreSQL needs `migrate()` (or `tokengate migrate`) once, unless
 * `mustExist` asks to refuse a store that is not there yet.
 *
 * @example
 * const { store, directory, close } = await openStore("sqlite:./.tokengate/demo.db", process.cwd());
 */
export async function openStore(
  url: string,
  baseDir: string,
  options: OpenStoreOptions = {},
): Promise<OpenedStore> {
  const location = parseStoreUrl(url, baseDir);
  switch (location.kind) {
    case "memory":
      if (options.mustExist) {
        throw new UsageError(
          "--store memory lives and dies with one process: only serve can use it; give the --store your servers use",
        );
      }
      return {
        location,
        store: new MemoryTokenStore(),
        directory: new MemoryDirectory(),
        securityLog: new MemorySecurityLog(),
        migrate: async () => {},
        close: async () => {},
      };
    case "sqlite": {
      // A mistyped path, or a command run from the wrong folder, must not quietly become a new,
      // empty store that "has no tokens".
      if (options.mustExist && !existsSync(location.path)) {
        throw new MissingStoreError(location, `no store at ${location.path}`);
      }
      mkdirSync(dirname(location.path), { recursive: true });
      const opened = openSqlite(location.path);
      return {
        location,
        store: opened.store,
        directory: opened.directory,
        securityLog: opened.securityLog,
        migrate: async () => {},
        close: async () => opened.close(),
      };
    }
    case "postgres": {
      // A prompt failure when the database is down or never answers, instead of a hang.
      const pool = new pg.Pool({
        connectionString: location.connectionString,
        connectionTimeoutMillis: POSTGRES_CONNECT_MS,
        ...(options.queryTimeoutMs === undefined ? {} : { query_timeout: options.queryTimeoutMs }),
      });
      const schemaOptions = { schema: location.schema };
      try {
        if (options.mustExist) {
          const { rows } = await pool
            .query<{ found: string | null }>("SELECT to_regclass($1) AS found", [
              `"${location.schema}".tokens`,
            ])
            .catch((error: unknown) => {
              throw postgresFailure(location, error);
            });
          if (rows[0]?.found == null) {
            throw new MissingStoreError(location, `no tokengate tables in ${describeLocation(location)}`);
          }
        }
      } catch (error) {
        await pool.end();
        throw error;
      }
      return {
        location,
        store: new PostgresTokenStore(pool, schemaOptions),
        directory: new PostgresDirectory(pool, schemaOptions),
        securityLog: new PostgresSecurityLog(pool, schemaOptions),
        migrate: () =>
          migrate(pool, schemaOptions).catch((error: unknown) => {
            throw postgresFailure(location, error);
          }),
        close: () => pool.end(),
      };
    }
  }
}
