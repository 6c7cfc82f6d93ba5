/**
 * The SQLite `TokenStore`: the `tokens` table of `schema.ts`, read with statements prepared once.
 * Same contract as the memory and PostgreSQL stores (tests/conformance/stores.test.ts).
 */
import {
  type CredentialReader,
  type Directory,
  DuplicateDigestError,
  type NewTokenRecord,
  type TeamRole,
  type TokenRecord,
  type TokenStore,
} from "@tokengate/core";
import type { Database, Statement } from "better-sqlite3";
import { directoryDatabase, SqliteDirectory, toTeam, toUser } from "./directory";
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

/** One row of the joined lookup: the token's columns, then the rows its ids point at. */
interface CredentialRow extends TokenRow {
  c_id: number | null;
  c_name: string | null;
  c_email: string | null;
  c_disabled: number;
  tm_id: number | null;
  tm_name: string | null;
  tm_owner_user_id: number;
  o_id: number | null;
  o_name: string | null;
  o_email: string | null;
  o_disabled: number;
  c_role: TeamRole | null;
  o_role: TeamRole | null;
}

/**
 * Everything a lookup needs about a digest, in one statement: the token, its creator, its team,
 * the team's owner, and the creator's and the owner's memberships. Each join follows an id the
 * token or the team holds; which of them the token acts as is decided in core. The memberships are
 * keyed by the token's own team id, so each is one primary-key probe however large the team.
 */
const CREDENTIAL_SQL = `SELECT ${COLUMNS.split(", ")
  .map((c) => `t.${c}`)
  .join(", ")},
  c.id AS c_id, c.name AS c_name, c.email AS c_email, c.disabled AS c_disabled,
  tm.id AS tm_id, tm.name AS tm_name, tm.owner_user_id AS tm_owner_user_id,
  o.id AS o_id, o.name AS o_name, o.email AS o_email, o.disabled AS o_disabled,
  cm.role AS c_role, om.role AS o_role
FROM tokens t
LEFT JOIN users c ON c.id = t.user_id
LEFT JOIN teams tm ON tm.id = t.team_id
LEFT JOIN users o ON o.id = tm.owner_user_id
LEFT JOIN memberships cm ON cm.team_id = t.team_id AND cm.user_id = t.user_id
LEFT JOIN memberships om ON om.team_id = t.team_id AND om.user_id = tm.owner_user_id
WHERE t.digest = ?`;

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
  #credentialReader: CredentialReader | undefined;

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

  /**
   * For a `SqliteDirectory` on this store's connection, a reader that resolves a digest with one
   * prepared statement (see `CREDENTIAL_SQL`); null for any other directory, or for a subclass of
   * either class, whose methods may read differently and are then called one by one.
   */
  credentialReader(directory: Directory): CredentialReader | null {
    if (Object.getPrototypeOf(this) !== SqliteTokenStore.prototype) return null;
    if (Object.getPrototypeOf(directory) !== SqliteDirectory.prototype) return null;
    if (directoryDatabase.get(directory as SqliteDirectory) !== this.#db) return null;
    if (!this.#credentialReader) {
      const statement: Statement<[string], CredentialRow> = this.#db.prepare(CREDENTIAL_SQL);
      this.#credentialReader = async (digest) => {
        const row = statement.get(digest);
        if (!row) return null;
        const team =
          row.tm_id === null
            ? null
            : toTeam({ id: row.tm_id, name: row.tm_name, owner_user_id: row.tm_owner_user_id });
        return {
          token: toRecord(row),
          creator:
            row.c_id === null
              ? null
              : toUser({ id: row.c_id, name: row.c_name, email: row.c_email, disabled: row.c_disabled }),
          team,
          owner:
            row.o_id === null
              ? null
              : toUser({ id: row.o_id, name: row.o_name, email: row.o_email, disabled: row.o_disabled }),
          creatorRole: row.c_role,
          ownerRole: row.o_role,
        };
      };
    }
    return this.#credentialReader;
  }

  /** Closes the database if this store owns it (see `openSqlite`); otherwise does nothing. */
  async close(): Promise<void> {
    if (this.#closeDatabase && this.#db.open) this.#db.close();
  }
}
