import { existsSync, mkdirSync } from "node:fs";
import { dirname, isAbsolute, resolve } from "node:path";
import {
  type Directory,
  type DirectoryTeam,
  type DirectoryUser,
  MemoryDirectory,
  MemoryTokenStore,
  type TeamRole,
  type TokenStore,
} from "@tokengate/core";
import { DEFAULT_SCHEMA, migrate, PostgresDirectory, PostgresTokenStore } from "@tokengate/postgres";
import { openSqlite } from "@tokengate/sqlite";
import pg from "pg";
import { CommandFailure, UsageError } from "./usage-error";

/** Where tokens live, as the `--store` option names it. */
export type StoreLocation =
  | { readonly kind: "sqlite"; readonly path: string }
  | { readonly kind: "postgres"; readonly connectionString: string; readonly schema: string }
  | { readonly kind: "memory" };

/** The directory writes the demo seeds with; SQLite's and memory's are synchronous, PostgreSQL's are not. */
export interface SeedableDirectory extends Directory {
  upsertUser(user: DirectoryUser): unknown;
  upsertTeam(team: DirectoryTeam): unknown;
  setRole(teamId: number, userId: number, role: TeamRole | null): unknown;
}

/** A store and its directory, opened from a `--store` URL. */
export interface OpenedStore {
  readonly location: StoreLocation;
  readonly store: TokenStore;
  readonly directory: SeedableDirectory;
  /** Creates the tables if they are missing (SQLite already has them once opened). */
  migrate(): Promise<void>;
  close(): Promise<void>;
}

/** The default store: `./.tokengate/demo.db` under the directory the user ran the command from. */
export function defaultStoreUrl(baseDir: string): string {
  return `sqlite:${resolve(baseDir, ".tokengate", "demo.db")}`;
}

/**
 * Reads a `--store` value: `sqlite:PATH` (relative paths against `baseDir`), `postgres://…` or
 * `postgresql://…` (an optional `?schema=` picks tokengate's schema, default `tokengate`), or
 * `memory` (one process only: a revocation from another process cannot reach it).
 */
export function parseStoreUrl(url: string, baseDir: string): StoreLocation {
  if (url === "memory" || url === "memory:") return { kind: "memory" };
  if (url.startsWith("sqlite:")) {
    let path = url.slice("sqlite:".length);
    if (path.startsWith("//")) path = path.slice(2);
    if (path === "") throw new UsageError("--store sqlite: needs a file path, e.g. sqlite:./tokengate.db");
    return { kind: "sqlite", path: isAbsolute(path) ? path : resolve(baseDir, path) };
  }
  if (/^postgres(ql)?:\/\//.test(url)) {
    let parsed: URL;
    try {
      parsed = new URL(url);
    } catch {
      throw new UsageError("--store: not a valid postgres:// URL");
    }
    const schema = parsed.searchParams.get("schema") ?? DEFAULT_SCHEMA;
    if (!/^[A-Za-z_][A-Za-z0-9_]{0,62}$/.test(schema)) {
      throw new UsageError(`--store: schema must be a plain SQL identifier, got ${JSON.stringify(schema)}`);
    }
    // node-postgres would pass an unknown query parameter on to the server as a setting.
    parsed.searchParams.delete("schema");
    return { kind: "postgres", connectionString: parsed.toString(), schema };
  }
  throw new UsageError(`--store must be sqlite:PATH, postgres://… or memory, got ${JSON.stringify(url)}`);
}

/** A store URL for messages: the PostgreSQL password is masked. */
export function describeLocation(location: StoreLocation): string {
  switch (location.kind) {
    case "memory":
      return "memory (this process only)";
    case "sqlite":
      return `sqlite:${location.path}`;
    case "postgres": {
      const url = new URL(location.connectionString);
      if (url.password) url.password = "***";
      return `${url.toString()} (schema ${location.schema})`;
    }
  }
}

/**
 * Opens the store and directory a `--store` URL names. SQLite creates its file (and the
 * `.tokengate/` folder) and tables on first use unless `createSqliteFile` is false; PostgreSQL needs
 * `migrate()` (or `tokengate migrate`) once.
 *
 * @example
 * const { store, directory, close } = await openStore("sqlite:./.tokengate/demo.db", process.cwd());
 */
export async function openStore(
  url: string,
  baseDir: string,
  options: { createSqliteFile?: boolean } = {},
): Promise<OpenedStore> {
  const location = parseStoreUrl(url, baseDir);
  switch (location.kind) {
    case "memory":
      return {
        location,
        store: new MemoryTokenStore(),
        directory: new MemoryDirectory(),
        migrate: async () => {},
        close: async () => {},
      };
    case "sqlite": {
      // A mistyped path must not quietly become a new, empty store that "has no tokens".
      if (options.createSqliteFile === false && !existsSync(location.path)) {
        throw new CommandFailure(
          `no store at ${location.path} (tokengate serve or tokengate migrate --store sqlite:… creates it)`,
        );
      }
      mkdirSync(dirname(location.path), { recursive: true });
      const opened = openSqlite(location.path);
      return {
        location,
        store: opened.store,
        directory: opened.directory,
        migrate: async () => {},
        close: async () => opened.close(),
      };
    }
    case "postgres": {
      // A prompt failure when the database is down: the store answers 503 instead of hanging.
      const pool = new pg.Pool({
        connectionString: location.connectionString,
        connectionTimeoutMillis: 3000,
      });
      const options = { schema: location.schema };
      return {
        location,
        store: new PostgresTokenStore(pool, options),
        directory: new PostgresDirectory(pool, options),
        migrate: () => migrate(pool, options),
        close: () => pool.end(),
      };
    }
  }
}
