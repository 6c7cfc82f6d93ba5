/**
 * What every PostgreSQL statement of the package goes through: quoted schema names, named
 * statements, integrity errors turned into the core's store errors without the driver's detail,
 * and a guard for idle connections that die.
 */
import { createHash } from "node:crypto";
import { describeCause, type Logger, StoreConstraintError } from "@tokengate/core";
import type { Pool, QueryConfig, QueryResultRow } from "pg";

/** Validates a schema name and returns it quoted for SQL: names are never built from user input. */
export function quoteSchema(schema: string): string {
  if (!/^[A-Za-z_][A-Za-z0-9_]{0,62}$/.test(schema)) {
    throw new TypeError(`invalid PostgreSQL schema name: ${JSON.stringify(schema)}`);
  }
  return `"${schema}"`;
}

/**
 * A named statement: node-postgres prepares it once per pooled connection and afterwards sends only
 * its name and values. The name is derived from the text, so two stores over different schemas can
 * share a pool without their statements colliding.
 */
export function statement(text: string): (values: unknown[]) => QueryConfig<unknown[]> {
  const name = `tokengate_${createHash("sha1").update(text).digest("hex").slice(0, 20)}`;
  return (values) => ({ name, text, values });
}

export async function run<R extends QueryResultRow>(
  pool: Pool,
  query: QueryConfig<unknown[]>,
): Promise<{ rows: R[]; rowCount: number }> {
  const result = await pool.query<R>(query);
  return { rows: result.rows, rowCount: result.rowCount ?? 0 };
}

/**
 * A duplicate digest, reported without the driver's error: PostgreSQL's `detail` for a unique
 * violation quotes the key, and the key here is a token digest, which must never reach a log.
 */
export { DuplicateDigestError } from "@tokengate/core";

export function isUniqueViolation(error: unknown): boolean {
  return typeof error === "object" && error !== null && (error as { code?: unknown }).code === "23505";
}

const REFERS_TO: Readonly<Record<string, string>> = { userId: "no such user", teamId: "no such team" };

/**
 * Turns an integrity violation (SQLSTATE class 23, other than the duplicate digest) on a token row
 * into a `StoreConstraintError` naming the token field, found from the driver's `column` (NOT NULL)
 * or `constraint` (foreign key, check) and `columns`, which maps the table's columns to fields.
 * Anything else is returned as `null`, for the caller to rethrow. The driver's error is dropped:
 * its `detail` can quote the whole row, digest included.
 */
export function constraintViolation(
  error: unknown,
  columns: Readonly<Record<string, string>>,
): StoreConstraintError | null {
  if (typeof error !== "object" || error === null) return null;
  const { code, column, constraint } = error as { code?: unknown; column?: unknown; constraint?: unknown };
  if (typeof code !== "string" || !code.startsWith("23") || code === "23505") return null;
  const name = typeof constraint === "string" ? constraint : "";
  const found = Object.keys(columns).find((c) => c === column || name.includes(`_${c}_`));
  const field = found === undefined ? null : columns[found]!;
  if (field === null) return new StoreConstraintError(null, `the store refused the row (SQLSTATE ${code})`);
  switch (code) {
    case "23502":
      return new StoreConstraintError(field, `${field} is required`);
    case "23503":
      return new StoreConstraintError(field, REFERS_TO[field] ?? `${field} refers to nothing`);
    default:
      return new StoreConstraintError(field, `${field} is not accepted by the store`);
  }
}

const guarded = new WeakSet<Pool>();

/**
 * node-postgres emits `error` on the pool when an idle connection dies (a restart, a
 * `pg_terminate_backend`). With no listener, Node turns that event into an uncaught exception and
 * the process exits; tokengate must answer 503 instead. If the application has not attached a
 * listener, one is added that logs; the pool already discards the dead connection.
 */
export function guardIdleErrors(pool: Pool, logger: Logger): void {
  if (guarded.has(pool)) return;
  guarded.add(pool);
  if (pool.listenerCount("error") > 0) return;
  pool.on("error", (error) =>
    logger.warn("postgres: an idle connection failed", { cause: describeCause(error) }),
  );
}
