/**
 * The token security log in PostgreSQL: `SecurityLog` over the `security_events` table that
 * `migrate` (tokengate's own tables) or `migrateSecurityLog` (Documenso mode, beside Documenso's
 * schema) creates. Same contract as the memory and SQLite logs
 * (tests/conformance/security-logs.test.ts). A batch is one INSERT; statements are named, so each
 * pooled connection prepares each filter combination once.
 */
import {
  consoleLogger,
  type Logger,
  SECURITY_EVENT_COLUMNS,
  SECURITY_EVENT_INSERT_COLUMNS,
  type SecurityEventRow,
  type SecurityLog,
  type SecurityLogEntry,
  type SecurityLogQuery,
  type StoredSecurityEvent,
  securityEventFromRow,
  securityEventValues,
} from "@tokengate/core";
import type { Pool, QueryConfig } from "pg";
import { DEFAULT_SCHEMA, type PostgresSchemaOptions } from "./migrate";
import { guardIdleErrors, quoteSchema, run, statement } from "./sql";

export interface PostgresSecurityLogOptions extends PostgresSchemaOptions {
  /** Where a dying idle connection is reported when the pool has no `error` listener. */
  readonly logger?: Logger;
}

/**
 * A `SecurityLog` in PostgreSQL over a pool the application owns. Run `migrate` (or, beside
 * Documenso, `migrateSecurityLog`) first.
 *
 * @example
 * await migrate(pool);
 * const gate = createTokenGate({ store, directory, securityLog: new PostgresSecurityLog(pool) });
 */
export class PostgresSecurityLog implements SecurityLog {
  readonly name = "postgres";
  readonly #pool: Pool;
  readonly #table: string;
  readonly #append;
  readonly #prune;
  readonly #lists = new Map<string, (values: unknown[]) => QueryConfig<unknown[]>>();

  constructor(pool: Pool, options: PostgresSecurityLogOptions = {}) {
    this.#pool = pool;
    this.#table = `${quoteSchema(options.schema ?? DEFAULT_SCHEMA)}.security_events`;
    guardIdleErrors(pool, options.logger ?? consoleLogger);
    // unnest WITH ORDINALITY and ORDER BY it: the identity values follow the batch's order.
    this.#append = statement(
      `INSERT INTO ${this.#table} (${SECURITY_EVENT_INSERT_COLUMNS})
       SELECT ${SECURITY_EVENT_INSERT_COLUMNS}
       FROM unnest($1::text[], $2::timestamptz[], $3::integer[], $4::integer[], $5::text[], $6::integer[],
                   $7::integer[], $8::text[], $9::text[], $10::integer[])
            WITH ORDINALITY AS v(type, at, actor_user_id, token_id, token_name, team_id, owner_user_id,
                                 client_address, user_agent, count, n)
       ORDER BY n
       RETURNING ${SECURITY_EVENT_COLUMNS}`,
    );
    this.#prune = statement(
      `DELETE FROM ${this.#table} WHERE id IN (
         SELECT id FROM ${this.#table} WHERE at < $1 ORDER BY id LIMIT $2)`,
    );
  }

  async append(entries: readonly SecurityLogEntry[]): Promise<StoredSecurityEvent[]> {
    if (entries.length === 0) return [];
    // One array per column, as unnest takes them.
    const values = entries.map((entry) => securityEventValues(entry, (at) => at));
    const { rows } = await run<SecurityEventRow>(
      this.#pool,
      this.#append(values[0]!.map((_, column) => values.map((row) => row[column]))),
    );
    return rows.map(securityEventFromRow).sort((a, b) => a.id - b.id);
  }

  async list(query: SecurityLogQuery): Promise<StoredSecurityEvent[]> {
    const parts: string[] = [];
    const values: unknown[] = [];
    const where = (condition: (n: string) => string, value: number) => {
      values.push(value);
      parts.push(condition(`$${values.length}`));
    };
    if (query.teamId !== undefined) where((n) => `team_id = ${n}`, query.teamId);
    if (query.personalOf !== undefined) {
      where((n) => `team_id IS NULL AND owner_user_id = ${n}`, query.personalOf);
    }
    if (query.tokenId !== undefined) where((n) => `token_id = ${n}`, query.tokenId);
    if (query.before !== undefined) {
      values.push(query.before.at, query.before.id);
      const at = `$${values.length - 1}`;
      const id = `$${values.length}`;
      parts.push(`(at < ${at} OR (at = ${at} AND id < ${id}))`);
    }
    const key = parts.join(" AND ");
    let prepared = this.#lists.get(key);
    if (!prepared) {
      prepared = statement(
        `SELECT ${SECURITY_EVENT_COLUMNS} FROM ${this.#table} ${key ? `WHERE ${key}` : ""}
         ORDER BY at DESC, id DESC LIMIT $${values.length + 1}`,
      );
      this.#lists.set(key, prepared);
    }
    const { rows } = await run<SecurityEventRow>(this.#pool, prepared([...values, query.limit]));
    return rows.map(securityEventFromRow);
  }

  async prune(olderThan: Date, limit: number): Promise<number> {
    return (await run(this.#pool, this.#prune([olderThan, limit]))).rowCount;
  }
}
