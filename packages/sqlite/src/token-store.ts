import {
  DuplicateDigestError,
  type NewTokenRecord,
  type TokenRecord,
  type TokenStore,
} from "@tokengate/core";
import type { Database, Statement } from "better-sqlite3";
import { migrateSqlite } from "./schema";

interface TokenRow {
  id: number;
  name: string;
  digest: string;
  algorithm: string;
  user_id: number | null;
  team_id: number | null;
  created_at: number;
  expires_at: number | null;
  last_used_at: number | null;
  scopes: string;
  replaced_by_id: number | null;
}

const COLUMNS =
  "id, name, digest, algorithm, user_id, team_id, created_at, expires_at, last_used_at, scopes, replaced_by_id";

const toDate = (ms: number | null): Date | null => (ms === null ? null : new Date(ms));

function toRecord(row: TokenRow): TokenRecord {
  return {
    id: row.id,
    name: row.name,
    digest: row.digest,
    algorithm: row.algorithm,
    userId: row.user_id,
    teamId: row.team_id,
    createdAt: new Date(row.created_at),
    expiresAt: toDate(row.expires_at),
    lastUsedAt: toDate(row.last_used_at),
    scopes: JSON.parse(row.scopes) as string[],
    replacedById: row.replaced_by_id,
  };
}

export interface SqliteTokenStoreOptions {
  /** Close the database when the store is closed (set by `openSqlite`, which owns it). */
  readonly closeDatabase?: boolean;
}

/**
 * A `TokenStore` in a SQLite database (better-sqlite3). Creates its table on first use. Every
 * statement is prepared once, in the constructor; `findByDigest` is one indexed read.
 *
 * better-sqlite3 is synchronous; the methods are `async` only to meet the interface, so a SQLite
 * error surfaces as a rejected promise like any other store's.
 *
 * @example
 * const store = new SqliteTokenStore(new Database("tokengate.db"));
 */
export class SqliteTokenStore implements TokenStore {
  readonly name = "sqlite";
  readonly #db: Database;
  readonly #closeDatabase: boolean;
  readonly #byDigest: Statement<[string], TokenRow>;
  readonly #byId: Statement<[number], TokenRow>;
  readonly #insert: Statement<unknown[], TokenRow>;
  readonly #byUser: Statement<[number], TokenRow>;
  readonly #byTeam: Statement<[number], TokenRow>;
  readonly #delete: Statement<[number]>;
  readonly #markReplaced: Statement<[number, number | null, number]>;
  readonly #touch: Statement<[number, number, number]>;
  readonly #touchBatch: (entries: ReadonlyArray<{ readonly id: number; readonly at: Date }>) => void;

  constructor(db: Database, options: SqliteTokenStoreOptions = {}) {
    migrateSqlite(db);
    this.#db = db;
    this.#closeDatabase = options.closeDatabase ?? false;
    this.#byDigest = db.prepare(`SELECT ${COLUMNS} FROM tokens WHERE digest = ?`);
    this.#byId = db.prepare(`SELECT ${COLUMNS} FROM tokens WHERE id = ?`);
    this.#insert = db.prepare(
      `INSERT INTO tokens (name, digest, algorithm, user_id, team_id, created_at, expires_at, scopes)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?) RETURNING ${COLUMNS}`,
    );
    this.#byUser = db.prepare(
      `SELECT ${COLUMNS} FROM tokens WHERE user_id = ? AND team_id IS NULL ORDER BY created_at DESC, id DESC`,
    );
    this.#byTeam = db.prepare(
      `SELECT ${COLUMNS} FROM tokens WHERE team_id = ? ORDER BY created_at DESC, id DESC`,
    );
    this.#delete = db.prepare("DELETE FROM tokens WHERE id = ?");
    this.#markReplaced = db.prepare("UPDATE tokens SET replaced_by_id = ?, expires_at = ? WHERE id = ?");
    // The condition keeps last_used_at from moving backwards when batches from several processes
    // arrive out of order; an id that no longer exists matches no row and is ignored.
    this.#touch = db.prepare(
      "UPDATE tokens SET last_used_at = ? WHERE id = ? AND (last_used_at IS NULL OR last_used_at < ?)",
    );
    this.#touchBatch = db.transaction(
      (entries: ReadonlyArray<{ readonly id: number; readonly at: Date }>) => {
        for (const { id, at } of entries) {
          const ms = at.getTime();
          this.#touch.run(ms, id, ms);
        }
      },
    );
  }

  /** One indexed read of an id no token has: throws once the database is closed or unreadable. */
  async ping(): Promise<void> {
    this.#byId.get(0);
  }

  async findByDigest(digest: string): Promise<TokenRecord | null> {
    const row = this.#byDigest.get(digest);
    return row ? toRecord(row) : null;
  }

  async findById(id: number): Promise<TokenRecord | null> {
    const row = this.#byId.get(id);
    return row ? toRecord(row) : null;
  }

  async insert(token: NewTokenRecord): Promise<TokenRecord> {
    let row: TokenRow | undefined;
    try {
      row = this.#insert.get(
        token.name,
        token.digest,
        token.algorithm,
        token.userId,
        token.teamId,
        token.createdAt.getTime(),
        token.expiresAt?.getTime() ?? null,
        JSON.stringify(token.scopes),
      );
    } catch (error) {
      // SQLite's own message names the column, not the value; ours is the same in every store.
      if ((error as { code?: unknown }).code === "SQLITE_CONSTRAINT_UNIQUE") {
        throw new DuplicateDigestError("SqliteTokenStore");
      }
      throw error;
    }
    if (!row) throw new Error("SqliteTokenStore: insert returned no row");
    return toRecord(row);
  }

  async listByUser(userId: number): Promise<TokenRecord[]> {
    return this.#byUser.all(userId).map(toRecord);
  }

  async listByTeam(teamId: number): Promise<TokenRecord[]> {
    return this.#byTeam.all(teamId).map(toRecord);
  }

  async delete(id: number): Promise<boolean> {
    return this.#delete.run(id).changes > 0;
  }

  async markReplaced(id: number, replacedById: number, expiresAt: Date | null): Promise<void> {
    this.#markReplaced.run(replacedById, expiresAt?.getTime() ?? null, id);
  }

  async touchLastUsed(entries: ReadonlyArray<{ readonly id: number; readonly at: Date }>): Promise<void> {
    if (entries.length > 0) this.#touchBatch(entries);
  }

  /** Closes the database if this store owns it (see `openSqlite`); otherwise does nothing. */
  async close(): Promise<void> {
    if (this.#closeDatabase && this.#db.open) this.#db.close();
  }
}
