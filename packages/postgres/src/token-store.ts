import {
  type CredentialReader,
  consoleLogger,
  type Directory,
  type Logger,
  type NewTokenRecord,
  type TeamRole,
  type TokenRecord,
  type TokenStore,
} from "@tokengate/core";
import type { Pool } from "pg";
import { directoryTables, PostgresDirectory } from "./directory";
import { DEFAULT_SCHEMA, type PostgresSchemaOptions } from "./migrate";
import {
  constraintViolation,
  DuplicateDigestError,
  guardIdleErrors,
  isUniqueViolation,
  quoteSchema,
  run,
  statement,
} from "./sql";

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

/** One row of the joined lookup: the token's columns, then the rows its ids point at. */
interface CredentialRow extends TokenRow {
  c_id: number | null;
  c_name: string | null;
  c_email: string | null;
  c_disabled: boolean;
  tm_id: number | null;
  tm_name: string | null;
  tm_owner_user_id: number;
  o_id: number | null;
  o_name: string | null;
  o_email: string | null;
  o_disabled: boolean;
  c_role: TeamRole | null;
  o_role: TeamRole | null;
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
  c.id AS c_id, c.name AS c_name, c.email AS c_email, c.disabled AS c_disabled,
  tm.id AS tm_id, tm.name AS tm_name, tm.owner_user_id AS tm_owner_user_id,
  o.id AS o_id, o.name AS o_name, o.email AS o_email, o.disabled AS o_disabled,
  cm.role AS c_role, om.role AS o_role
FROM ${s}.tokens t
LEFT JOIN ${s}.users c ON c.id = t.user_id
LEFT JOIN ${s}.teams tm ON tm.id = t.team_id
LEFT JOIN ${s}.users o ON o.id = tm.owner_user_id
LEFT JOIN ${s}.memberships cm ON cm.team_id = t.team_id AND cm.user_id = t.user_id
LEFT JOIN ${s}.memberships om ON om.team_id = t.team_id AND om.user_id = tm.owner_user_id
WHERE t.digest = $1`;
}

function toCredentialRows(row: CredentialRow) {
  const team =
    row.tm_id === null ? null : { id: row.tm_id, name: row.tm_name, ownerUserId: row.tm_owner_user_id };
  return {
    token: toRecord(row),
    creator:
      row.c_id === null
        ? null
        : { id: row.c_id, name: row.c_name, email: row.c_email, disabled: row.c_disabled },
    team,
    owner:
      row.o_id === null
        ? null
        : { id: row.o_id, name: row.o_name, email: row.o_email, disabled: row.o_disabled },
    creatorRole: row.c_role,
    ownerRole: row.o_role,
  };
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
export class PostgresTokenStore implements TokenStore {
  readonly name = "postgres";
  readonly #pool: Pool;
  readonly #schema: string;
  readonly #byDigest;
  readonly #byId;
  readonly #insert;
  readonly #byUser;
  readonly #byTeam;
  readonly #delete;
  readonly #markReplaced;
  readonly #touch;

  constructor(pool: Pool, options: PostgresStoreOptions = {}) {
    const s = quoteSchema(options.schema ?? DEFAULT_SCHEMA);
    const t = `${s}.tokens`;
    this.#pool = pool;
    this.#schema = s;
    guardIdleErrors(pool, options.logger ?? consoleLogger);
    this.#byDigest = statement(`SELECT ${COLUMNS} FROM ${t} WHERE digest = $1`);
    this.#byId = statement(`SELECT ${COLUMNS} FROM ${t} WHERE id = $1`);
    this.#insert = statement(
      `INSERT INTO ${t} (name, digest, algorithm, user_id, team_id, created_at, expires_at, scopes)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING ${COLUMNS}`,
    );
    this.#byUser = statement(
      `SELECT ${COLUMNS} FROM ${t} WHERE user_id = $1 AND team_id IS NULL ORDER BY created_at DESC, id DESC`,
    );
    this.#byTeam = statement(
      `SELECT ${COLUMNS} FROM ${t} WHERE team_id = $1 ORDER BY created_at DESC, id DESC`,
    );
    this.#delete = statement(`DELETE FROM ${t} WHERE id = $1`);
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
    const query = statement(credentialSql(this.#schema));
    const pool = this.#pool;
    return async function readCredential(digest) {
      const { rows } = await run<CredentialRow>(pool, query([digest]));
      return rows[0] ? toCredentialRows(rows[0]) : null;
    };
  }

  /** One indexed read of an id no token has: a round trip that also proves the table is there. */
  async ping(): Promise<void> {
    await run(this.#pool, this.#byId([0]));
  }

  async findByDigest(digest: string): Promise<TokenRecord | null> {
    const { rows } = await run<TokenRow>(this.#pool, this.#byDigest([digest]));
    return rows[0] ? toRecord(rows[0]) : null;
  }

  async findById(id: number): Promise<TokenRecord | null> {
    const { rows } = await run<TokenRow>(this.#pool, this.#byId([id]));
    return rows[0] ? toRecord(rows[0]) : null;
  }

  async insert(token: NewTokenRecord): Promise<TokenRecord> {
    try {
      const { rows } = await run<TokenRow>(
        this.#pool,
        this.#insert([
          token.name,
          token.digest,
          token.algorithm,
          token.userId,
          token.teamId,
          token.createdAt,
          token.expiresAt,
          [...token.scopes],
        ]),
      );
      if (!rows[0]) throw new Error("PostgresTokenStore: insert returned no row");
      return toRecord(rows[0]);
    } catch (error) {
      if (isUniqueViolation(error)) throw new DuplicateDigestError("PostgresTokenStore");
      throw constraintViolation(error, FIELDS) ?? error;
    }
  }

  async listByUser(userId: number): Promise<TokenRecord[]> {
    return (await run<TokenRow>(this.#pool, this.#byUser([userId]))).rows.map(toRecord);
  }

  async listByTeam(teamId: number): Promise<TokenRecord[]> {
    return (await run<TokenRow>(this.#pool, this.#byTeam([teamId]))).rows.map(toRecord);
  }

  async delete(id: number): Promise<boolean> {
    return (await run(this.#pool, this.#delete([id]))).rowCount > 0;
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
