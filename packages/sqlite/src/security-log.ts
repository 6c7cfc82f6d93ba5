/**
 * The token security log in SQLite: `SecurityLog` over the `security_events` table that
 * `migrateSqlite` creates beside the tokens. Same contract as the memory and PostgreSQL logs
 * (tests/conformance/security-logs.test.ts). Statements are prepared once, per filter combination.
 */
import {
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
import type { Database, Statement } from "better-sqlite3";
import { migrateSqlite } from "./schema";

/** The WHERE clause of a query and its values; the key names the prepared statement that fits. */
function conditions(query: SecurityLogQuery): { key: string; where: string; values: number[] } {
  const parts: string[] = [];
  const values: number[] = [];
  if (query.teamId !== undefined) {
    parts.push("team_id = ?");
    values.push(query.teamId);
  }
  if (query.personalOf !== undefined) {
    parts.push("team_id IS NULL AND owner_user_id = ?");
    values.push(query.personalOf);
  }
  if (query.tokenId !== undefined) {
    parts.push("token_id = ?");
    values.push(query.tokenId);
  }
  if (query.before !== undefined) {
    const at = query.before.at.getTime();
    parts.push("(at < ? OR (at = ? AND id < ?))");
    values.push(at, at, query.before.id);
  }
  return { key: parts.join(" AND "), where: parts.length ? `WHERE ${parts.join(" AND ")}` : "", values };
}

/**
 * A `SecurityLog` in a SQLite database. Creates its table on first use, as the store does.
 *
 * @example
 * const { store, directory, db } = openSqlite("tokengate.db");
 * const gate = createTokenGate({ store, directory, securityLog: new SqliteSecurityLog(db) });
 */
export class SqliteSecurityLog implements SecurityLog {
  readonly name = "sqlite";
  readonly #db: Database;
  readonly #insert: Statement<unknown[], SecurityEventRow>;
  readonly #appendBatch: (entries: readonly SecurityLogEntry[]) => StoredSecurityEvent[];
  readonly #prune: Statement<[number, number]>;
  readonly #lists = new Map<string, Statement<unknown[], SecurityEventRow>>();

  constructor(db: Database) {
    migrateSqlite(db);
    this.#db = db;
    this.#insert = db.prepare(
      `INSERT INTO security_events (${SECURITY_EVENT_INSERT_COLUMNS})
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING ${SECURITY_EVENT_COLUMNS}`,
    );
    // One transaction per batch: one fsync, and a batch is written whole or not at all.
    this.#appendBatch = db.transaction((entries: readonly SecurityLogEntry[]) =>
      entries.map((e) => {
        const row = this.#insert.get(...securityEventValues(e, (at) => at.getTime()));
        if (!row) throw new Error("SqliteSecurityLog: insert returned no row");
        return securityEventFromRow(row);
      }),
    );
    this.#prune = db.prepare(
      "DELETE FROM security_events WHERE id IN (SELECT id FROM security_events WHERE at < ? ORDER BY id LIMIT ?)",
    );
  }

  async append(entries: readonly SecurityLogEntry[]): Promise<StoredSecurityEvent[]> {
    return entries.length === 0 ? [] : this.#appendBatch(entries);
  }

  async list(query: SecurityLogQuery): Promise<StoredSecurityEvent[]> {
    const { key, where, values } = conditions(query);
    let statement = this.#lists.get(key);
    if (!statement) {
      statement = this.#db.prepare(
        `SELECT ${SECURITY_EVENT_COLUMNS} FROM security_events ${where} ORDER BY at DESC, id DESC LIMIT ?`,
      );
      this.#lists.set(key, statement);
    }
    return statement.all(...values, query.limit).map(securityEventFromRow);
  }

  async prune(olderThan: Date, limit: number): Promise<number> {
    return this.#prune.run(olderThan.getTime(), limit).changes;
  }
}
