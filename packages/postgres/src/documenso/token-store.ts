/**
 * A `TokenStore` over Documenso's own `"ApiToken"` table, in either of Documenso's layouts (see
 * `layout.ts`). Lookups are by `"token"`, the SHA-512 hex Documenso stores, so every token Documenso
 * issued verifies unchanged; tokens created here are rows Documenso itself reads and lists.
 */
import {
  type CredentialReader,
  consoleLogger,
  type Directory,
  type NewTokenRecord,
  StoreConstraintError,
  type TokenRecord,
} from "@tokengate/core";
import type { Pool } from "pg";
import { guardIdleErrors, quoteSchema, run, statement } from "../sql";
import type { PostgresStoreOptions } from "../token-store";
import { TokenTable } from "../token-table";
import { DocumensoDirectory, documensoTables } from "./directory";
import type { DocumensoLayout } from "./layout";
import { credentialSql, personalTeamSql } from "./queries";

/** Options for Documenso's tables. The schema defaults to `public`, where Prisma puts them. */
export interface DocumensoOptions extends PostgresStoreOptions {
  readonly schema?: string;
  /**
   * Which of Documenso's layouts the tables follow. `openDocumenso` reads it from the database;
   * given by hand it defaults to `organisations`, Documenso's layout since 1.12.
   */
  readonly layout?: DocumensoLayout;
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
// `p` qualifies the columns in a join (`t.`), where "createdAt" is in every table.
const columns = (
  p: string,
) => `${p}id, ${p}name, ${p}token, ${p}algorithm::text AS algorithm, ${p}"userId", ${p}"teamId",
  ${p}"createdAt" AT TIME ZONE 'UTC' AS "createdAt", ${p}expires AT TIME ZONE 'UTC' AS expires`;
const COLUMNS = columns("");

const FIELDS = { name: "name", userId: "userId", teamId: "teamId" } as const;

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
 * Documenso's `"ApiToken"` as a `TokenStore`. It never alters Documenso's tables, needs no
 * migration, and writes only the `"ApiToken"` rows it is asked to create, delete or end.
 *
 * Personal tokens: in the `organisations` layout every token has a team, and a personal token
 * lives in the team of its user's personal organisation, as Documenso keeps it. So `insert` with
 * `teamId: null` stores the token in that team (the record comes back with its id), and
 * `listByUser` lists that team's tokens. A user without a personal organisation (one made by SSO
 * provisioning, say) cannot hold a personal token: `insert` throws a `StoreConstraintError` on
 * `teamId`, which the service answers with 400. In the `teams` layout a personal token has no team.
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
 * const { store } = await openDocumenso(pool); // pool on Documenso's database
 */
export class DocumensoTokenStore extends TokenTable<ApiTokenRow> {
  readonly name = "documenso";
  readonly layout: DocumensoLayout;
  readonly #pool: Pool;
  readonly #schema: string;
  readonly #markReplaced;

  constructor(pool: Pool, options: DocumensoOptions = {}) {
    const s = quoteSchema(options.schema ?? "public");
    const t = `${s}."ApiToken"`;
    const layout = options.layout ?? "organisations";
    const organisations = layout === "organisations";
    // One statement either way: a personal token's team is found inside the INSERT, so no second
    // round trip and no window in which the personal team could change.
    const teamValue = organisations ? `COALESCE($5::integer, ${personalTeamSql(s, "$4::integer")})` : "$5";
    super(
      pool,
      "DocumensoTokenStore",
      {
        byDigest: `SELECT ${COLUMNS} FROM ${t} WHERE token = $1`,
        byId: `SELECT ${COLUMNS} FROM ${t} WHERE id = $1`,
        insert: `INSERT INTO ${t} (name, token, algorithm, "userId", "teamId", "createdAt", expires)
       VALUES ($1, $2, $3, $4, ${teamValue},
               $6::timestamptz AT TIME ZONE 'UTC', $7::timestamptz AT TIME ZONE 'UTC')
       RETURNING ${COLUMNS}`,
        byUser: organisations
          ? `SELECT ${COLUMNS} FROM ${t} WHERE "teamId" = ${personalTeamSql(s, "$1::integer")}
           ORDER BY ${t}."createdAt" DESC, id DESC`
          : `SELECT ${COLUMNS} FROM ${t} WHERE "userId" = $1 AND "teamId" IS NULL
           ORDER BY ${t}."createdAt" DESC, id DESC`,
        byTeam: `SELECT ${COLUMNS} FROM ${t} WHERE "teamId" = $1 ORDER BY ${t}."createdAt" DESC, id DESC`,
        delete: `DELETE FROM ${t} WHERE id = $1`,
      },
      toRecord,
      FIELDS,
    );
    this.layout = layout;
    this.#pool = pool;
    this.#schema = s;
    guardIdleErrors(pool, options.logger ?? consoleLogger);
    this.#markReplaced = statement(
      `UPDATE ${t} SET expires = $2::timestamptz AT TIME ZONE 'UTC' WHERE id = $1`,
    );
  }

  /**
   * For a `DocumensoDirectory` over this store's pool, schema and layout, a reader that resolves a
   * digest with one named statement, one round trip: the token, its user, its team and owner, and
   * both roles (organisation-group roles in the `organisations` layout; see `credentialSql`). Null
   * for any other directory, or for a subclass of either class, which is then read one by one.
   */
  credentialReader(directory: Directory): CredentialReader | null {
    if (Object.getPrototypeOf(this) !== DocumensoTokenStore.prototype) return null;
    if (Object.getPrototypeOf(directory) !== DocumensoDirectory.prototype) return null;
    const tables = documensoTables.get(directory as DocumensoDirectory);
    if (tables?.pool !== this.#pool || tables.schema !== this.#schema || tables.layout !== this.layout) {
      return null;
    }
    return this.readCredentials(credentialSql(this.layout, this.#schema, columns("t.")));
  }

  /**
   * Writes the row as Documenso's createApiToken does. `teamId: null` means a personal token (see
   * the class). Throws `DuplicateDigestError` for a digest that exists, `StoreConstraintError` for
   * a row Documenso's constraints refuse (no such user or team, no personal team).
   */
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
      return await this.insertRow(token);
    } catch (error) {
      // No team named and no personal team found: say what Documenso needs instead.
      if (error instanceof StoreConstraintError && error.field === "teamId" && token.teamId === null) {
        throw new StoreConstraintError(
          "teamId",
          "Documenso keeps personal tokens in the team of the user's personal organisation, and this user has none: name a team",
        );
      }
      throw error;
    }
  }

  /** Sets `"expires"` only: Documenso has no column for the successor. */
  async markReplaced(id: number, _replacedById: number, expiresAt: Date | null): Promise<void> {
    await run(this.#pool, this.#markReplaced([id, expiresAt]));
  }

  /** Does nothing: Documenso's table has no last-used column, and this store adds none. */
  async touchLastUsed(_entries: ReadonlyArray<{ readonly id: number; readonly at: Date }>): Promise<void> {}
}
