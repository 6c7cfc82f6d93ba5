/**
 * The `--store` URL as data: what it names (SQLite file, PostgreSQL schema, memory), the default,
 * and how it is described in messages (passwords masked). Opening it is open-store.ts's job; this
 * module loads no driver, so the command line and `--help` start without them.
 */
import { isAbsolute, resolve } from "node:path";
import { DEFAULT_SCHEMA } from "@tokengate/postgres";
import { CommandFailure, UsageError } from "./usage-error";

/** Where tokens live, as the `--store` option names it. */
export type StoreLocation =
  | { readonly kind: "sqlite"; readonly path: string }
  | { readonly kind: "postgres"; readonly connectionString: string; readonly schema: string }
  | { readonly kind: "memory" };

/**
 * The store a command was pointed at does not exist. The command line around it says how to
 * create one, since only it knows how the user runs tokengate.
 */
export class MissingStoreError extends CommandFailure {
  constructor(
    readonly location: Exclude<StoreLocation, { kind: "memory" }>,
    message: string,
  ) {
    super(message);
  }
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
