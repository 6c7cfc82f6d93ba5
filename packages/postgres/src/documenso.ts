import {
  consoleLogger,
  type Directory,
  type DirectoryTeam,
  type DirectoryUser,
  type NewTokenRecord,
  type TeamRole,
  type TokenRecord,
  type TokenStore,
} from "@tokengate/core";
import type { Pool } from "pg";
import { DuplicateDigestError, guardIdleErrors, isUniqueViolation, quoteSchema, run, statement } from "./sql";
import type { PostgresStoreOptions } from "./token-store";

/** Options for the Documenso layout. The schema defaults to `public`, where Prisma puts it. */
export interface DocumensoOptions extends PostgresStoreOptions {
  readonly schema?: string;
}

interface ApiTokenRow {
  id: number;
  name: string;
  token: string;
  algorithm: string;
  userId: number | null;
  teamId: number | null;
  createdAt: Date;
  expires: Date | null;
}

// Prisma stores DateTime in `timestamp(3)` (no zone) as UTC. node-postgres would read such a value
// as local time, so every read converts to timestamptz at UTC and every write converts back.
const COLUMNS = `id, name, token, algorithm::text AS algorithm, "userId", "teamId",
  "createdAt" AT TIME ZONE 'UTC' AS "createdAt", expires AT TIME ZONE 'UTC' AS expires`;

function toRecord(row: ApiTokenRow): TokenRecord {
  return {
    id: row.id,
    name: row.name,
    digest: row.token,
    algorithm: row.algorithm,
    userId: row.userId,
    teamId: row.teamId,
    createdAt: row.createdAt,
    expiresAt: row.expires,
    lastUsedAt: null,
    scopes: [],
    replacedById: null,
  };
}

/**
 * A `TokenStore` over Documenso's own `"ApiToken"` table, as Documenso's migrations made it: tokens
 * Documenso issued verify unchanged, and tokens created here show up in Documenso's settings page.
 * It never alters Documenso's tables and needs no migration.
 *
 * What Documenso's table cannot hold:
 * - `lastUsedAt`: always null; `touchLastUsed` does nothing.
 * - `scopes`: always `[]`; inserting a token with scopes is refused rather than silently widened
 *   or narrowed.
 * - `replacedById`: always null; `markReplaced` sets only `"expires"`, which is what ends the old
 *   token's life after a rotation's grace period.
 * - `algorithm`: Documenso's enum has only `SHA512`, so only `sha512Digester` tokens can be stored.
 *
 * @example
 * const store = new DocumensoTokenStore(pool); // pool on Documenso's database
 */
export class DocumensoTokenStore implements TokenStore {
  readonly name = "documenso";
  readonly #pool: Pool;
  readonly #byDigest;
  readonly #byId;
  readonly #insert;
  readonly #byUser;
  readonly #byTeam;
  readonly #delete;
  readonly #markReplaced;

  constructor(pool: Pool, options: DocumensoOptions = {}) {
    const t = `${quoteSchema(options.schema ?? "public")}."ApiToken"`;
    this.#pool = pool;
    guardIdleErrors(pool, options.logger ?? consoleLogger);
    this.#byDigest = statement(`SELECT ${COLUMNS} FROM ${t} WHERE token = $1`);
    this.#byId = statement(`SELECT ${COLUMNS} FROM ${t} WHERE id = $1`);
    this.#insert = statement(
      `INSERT INTO ${t} (name, token, algorithm, "userId", "teamId", "createdAt", expires)
       VALUES ($1, $2, $3, $4, $5, $6::timestamptz AT TIME ZONE 'UTC', $7::timestamptz AT TIME ZONE 'UTC')
       RETURNING ${COLUMNS}`,
    );
    this.#byUser = statement(
      `SELECT ${COLUMNS} FROM ${t} WHERE "userId" = $1 AND "teamId" IS NULL ORDER BY ${t}."createdAt" DESC, id DESC`,
    );
    this.#byTeam = statement(
      `SELECT ${COLUMNS} FROM ${t} WHERE "teamId" = $1 ORDER BY ${t}."createdAt" DESC, id DESC`,
    );
    this.#delete = statement(`DELETE FROM ${t} WHERE id = $1`);
    this.#markReplaced = statement(
      `UPDATE ${t} SET expires = $2::timestamptz AT TIME ZONE 'UTC' WHERE id = $1`,
    );
  }

  async findByDigest(digest: string): Promise<TokenRecord | null> {
    const { rows } = await run<ApiTokenRow>(this.#pool, this.#byDigest([digest]));
    return rows[0] ? toRecord(rows[0]) : null;
  }

  async findById(id: number): Promise<TokenRecord | null> {
    const { rows } = await run<ApiTokenRow>(this.#pool, this.#byId([id]));
    return rows[0] ? toRecord(rows[0]) : null;
  }

  async insert(token: NewTokenRecord): Promise<TokenRecord> {
    if (token.algorithm !== "SHA512") {
      throw new TypeError(
        `DocumensoTokenStore: Documenso stores only SHA512 digests, not ${token.algorithm}`,
      );
    }
    if (token.scopes.length > 0) {
      throw new TypeError("DocumensoTokenStore: Documenso's ApiToken table has no scopes");
    }
    try {
      const { rows } = await run<ApiTokenRow>(
        this.#pool,
        this.#insert([
          token.name,
          token.digest,
          token.algorithm,
          token.userId,
          token.teamId,
          token.createdAt,
          token.expiresAt,
        ]),
      );
      if (!rows[0]) throw new Error("DocumensoTokenStore: insert returned no row");
      return toRecord(rows[0]);
    } catch (error) {
      if (isUniqueViolation(error)) throw new DuplicateDigestError("DocumensoTokenStore");
      throw error;
    }
  }

  async listByUser(userId: number): Promise<TokenRecord[]> {
    return (await run<ApiTokenRow>(this.#pool, this.#byUser([userId]))).rows.map(toRecord);
  }

  async listByTeam(teamId: number): Promise<TokenRecord[]> {
    return (await run<ApiTokenRow>(this.#pool, this.#byTeam([teamId]))).rows.map(toRecord);
  }

  async delete(id: number): Promise<boolean> {
    return (await run(this.#pool, this.#delete([id]))).rowCount > 0;
  }

  /** Sets `"expires"` only: Documenso has no column for the successor. */
  async markReplaced(id: number, _replacedById: number, expiresAt: Date | null): Promise<void> {
    await run(this.#pool, this.#markReplaced([id, expiresAt]));
  }

  /** Does nothing: Documenso's table has no last-used column, and this store adds none. */
  async touchLastUsed(_entries: ReadonlyArray<{ readonly id: number; readonly at: Date }>): Promise<void> {}
}

export interface DocumensoDirectoryOptions extends DocumensoOptions {
  /**
   * SQL answering "what is user $2's role in team $1" with one row and a `role` column
   * (`ADMIN`/`MANAGER`/`MEMBER`), or no row. The default reads `"TeamMember"`, the table Documenso
   * had before organisations; point it at your deployment's group tables if they differ.
   */
  readonly roleSql?: string;
}

/**
 * A read-only `Directory` over Documenso's `"User"`, `"Team"` and `"Organisation"` tables. A team's
 * owner is its organisation's `"ownerUserId"` (Documenso after organisations); a role comes from
 * `"TeamMember"` unless `roleSql` says otherwise. It has no writes: Documenso owns its users.
 */
export class DocumensoDirectory implements Directory {
  readonly name = "documenso";
  readonly #pool: Pool;
  readonly #findUser;
  readonly #findTeam;
  readonly #findRole;

  constructor(pool: Pool, options: DocumensoDirectoryOptions = {}) {
    const s = quoteSchema(options.schema ?? "public");
    this.#pool = pool;
    guardIdleErrors(pool, options.logger ?? consoleLogger);
    this.#findUser = statement(`SELECT id, name, email, disabled FROM ${s}."User" WHERE id = $1`);
    this.#findTeam = statement(
      `SELECT t.id, t.name, o."ownerUserId" FROM ${s}."Team" t
       JOIN ${s}."Organisation" o ON o.id = t."organisationId" WHERE t.id = $1`,
    );
    this.#findRole = statement(
      options.roleSql ??
        `SELECT role::text AS role FROM ${s}."TeamMember" WHERE "teamId" = $1 AND "userId" = $2`,
    );
  }

  async findUser(userId: number): Promise<DirectoryUser | null> {
    const { rows } = await run<DirectoryUser>(this.#pool, this.#findUser([userId]));
    return rows[0] ?? null;
  }

  async findTeam(teamId: number): Promise<DirectoryTeam | null> {
    const { rows } = await run<DirectoryTeam>(this.#pool, this.#findTeam([teamId]));
    return rows[0] ?? null;
  }

  async findRole(teamId: number, userId: number): Promise<TeamRole | null> {
    const { rows } = await run<{ role: TeamRole }>(this.#pool, this.#findRole([teamId, userId]));
    return rows[0]?.role ?? null;
  }
}
