/**
 * The PostgreSQL-native `TokenStore`: tokengate's own `tokens` table (see `migrate.ts`), with the
 * columns Documenso's table lacks (last use, scopes, successor). The statements it shares with the
 * Documenso store run through `token-table.ts`.
 */
import {
  type CredentialReader,
  consoleLogger,
  type Directory,
  type Logger,
  type NewTokenRecord,
  type TokenRecord,
} from "@tokengate/core";
import type { Pool } from "pg";
import { directoryTables, PostgresDirectory } from "./directory";
import { DEFAULT_SCHEMA, type PostgresSchemaOptions } from "./migrate";
import { guardIdleErrors, quoteSchema, run, statement } from "./sql";
import { joinedColumnsSql, TokenTable } from "./token-table";

const FIELDS = { name: "name", user_id: "userId", team_id: "teamId" } as const;

interface TokenRow {
  id: number;
  name: string;
  digest: string;
  algorithm: string;
  user_id: number | null;
  team_id: number | null;
  created_at: Date;
  expires_at: Date | null;
  last_used_at: Date | null;
  scopes: string[];
  replaced_by_id: number | null;
}

const COLUMNS =
  "id, name, digest, algorithm, user_id, team_id, created_at, expires_at, last_used_at, scopes, replaced_by_id";

function toRecord(row: TokenRow): TokenRecord {
  return {
    id: row.id,
    name: row.name,
    digest: row.digest,
    algorithm: row.algorithm,
    userId: row.user_id,
    teamId: row.team_id,
    createdAt: row.created_at,
    expiresAt: row.expires_at,
    lastUsedAt: row.last_used_at,
    scopes: row.scopes,
    replacedById: row.replaced_by_id,
  };
}

/**
 * Everything a lookup needs about a digest, in one statement: the token, its creator, its team,
 * the team's owner, and the creator's and the owner's memberships. Each join follows an id the
 * token or the team holds (all primary keys); which of them the token acts as is decided in core.
 * The memberships are keyed by the token's own team id, so each is one probe of the whole primary
 * key however large the team (keyed by the joined team's id, the planner may scan the team's rows).
 */
function credentialSql(s: string): string {
  return `SELECT ${COLUMNS.split(", ")
    .map((c) => `t.${c}`)
    .join(", ")},
  ${joinedColumnsSql("tm.owner_user_id")},
  cm.role AS c_role, om.role AS o_role
FROM ${s}.tokens t
LEFT JOIN ${s}.users c ON c.id = t.user_id
LEFT JOIN ${s}.teams tm ON tm.id = t.team_id
LEFT JOIN ${s}.users o ON o.id = tm.owner_user_id
LEFT JOIN ${s}.memberships cm ON cm.team_id = t.team_id AND cm.user_id = t.user_id
LEFT JOIN ${s}.memberships om ON om.team_id = t.team_id AND om.user_id = tm.owner_user_id
WHERE t.digest = $1`;
}

export interface PostgresStoreOptions extends PostgresSchemaOptions {
  /** Where a dying idle connection is reported when the pool has no `error` listener. */
  readonly logger?: Logger;
}

/**
 * A `TokenStore` in PostgreSQL over a `pg.Pool` the application owns (and ends). Run `migrate`
 * first. Statements are named, so each pooled connection prepares them once.
 *
 * When the database cannot be reached every method rejects (the core answers 503): give the pool a
 * `connectionTimeoutMillis` so that happens promptly instead of waiting on the OS.
 *
 * @example
 * const pool = new pg.Pool({ connectionString: process.env.DATABASE_URL, connectionTimeoutMillis: 2000 });
 * await migrate(pool);
 * const store = new PostgresTokenStore(pool);
 */
export class PostgresTokenStore extends TokenTable<TokenRow> {
  readonly name = "postgres";
  readonly #pool: Pool;
  readonly #schema: string;
  readonly #markReplaced;
  readonly #touch;

  constructor(pool: Pool, options: PostgresStoreOptions = {}) {
    const s = quoteSchema(options.schema ?? DEFAULT_SCHEMA);
    const t = `${s}.tokens`;
    super(
      pool,
      "PostgresTokenStore",
      {
        byDigest: `SELECT ${COLUMNS} FROM ${t} WHERE digest = $1`,
        byId: `SELECT ${COLUMNS} FROM ${t} WHERE id = $1`,
        insert: `INSERT INTO ${t} (name, digest, algorithm, user_id, team_id, created_at, expires_at, scopes)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING ${COLUMNS}`,
        byUser: `SELECT ${COLUMNS} FROM ${t} WHERE user_id = $1 AND team_id IS NULL ORDER BY created_at DESC, id DESC`,
        byTeam: `SELECT ${COLUMNS} FROM ${t} WHERE team_id = $1 ORDER BY created_at DESC, id DESC`,
        delete: `DELETE FROM ${t} WHERE id = $1`,
      },
      toRecord,
      FIELDS,
    );
    this.#pool = pool;
    this.#schema = s;
    guardIdleErrors(pool, options.logger ?? consoleLogger);
    this.#markReplaced = statement(`UPDATE ${t} SET replaced_by_id = $2, expires_at = $3 WHERE id = $1`);
    // One statement for the whole batch. The condition keeps last_used_at from moving backwards when
    // batches from several instances arrive out of order; ids that no longer exist match no row.
    this.#touch = statement(
      `UPDATE ${t} AS t SET last_used_at = v.at
       FROM unnest($1::integer[], $2::timestamptz[]) AS v(id, at)
       WHERE t.id = v.id AND (t.last_used_at IS NULL OR t.last_used_at < v.at)`,
    );
  }

  /**
   * For a `PostgresDirectory` over this store's pool and schema, a reader that resolves a digest
   * with one named statement, one round trip (see `credentialSql`); null for any other directory,
   * or for a subclass of either class, whose methods may read differently and are then called one
   * by one.
   */
  credentialReader(directory: Directory): CredentialReader | null {
    if (Object.getPrototypeOf(this) !== PostgresTokenStore.prototype) return null;
    if (Object.getPrototypeOf(directory) !== PostgresDirectory.prototype) return null;
    const tables = directoryTables.get(directory as PostgresDirectory);
    if (tables?.pool !== this.#pool || tables.schema !== this.#schema) return null;
    return this.readCredentials(credentialSql(this.#schema));
  }

  async insert(token: NewTokenRecord): Promise<TokenRecord> {
    return this.insertRow(token, [...token.scopes]);
  }

  async markReplaced(id: number, replacedById: number, expiresAt: Date | null): Promise<void> {
    await run(this.#pool, this.#markReplaced([id, replacedById, expiresAt]));
  }

  async touchLastUsed(entries: ReadonlyArray<{ readonly id: number; readonly at: Date }>): Promise<void> {
    if (entries.length === 0) return;
    // One row per id: UPDATE … FROM picks an arbitrary match when an id appears twice.
    const latest = new Map<number, Date>();
    for (const { id, at } of entries) {
      const seen = latest.get(id);
      if (!seen || seen < at) latest.set(id, at);
    }
    await run(this.#pool, this.#touch([[...latest.keys()], [...latest.values()]]));
  }
}
