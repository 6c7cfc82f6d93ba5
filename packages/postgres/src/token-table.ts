/**
 * What the PostgreSQL-native store (`token-store.ts`) and the Documenso store
 * (`documenso/token-store.ts`) do alike, as their base class: run a token table's named statements
 * on the pool, map its rows to the core's records, translate the driver's integrity errors, and
 * read a credential with the one joined statement. Each store brings its own SQL and row mapping;
 * what only one of them does (Documenso's personal team and missing columns, the native store's
 * last-used batches) stays in that store.
 */
import {
  type CredentialReader,
  type CredentialRows,
  DuplicateDigestError,
  type NewTokenRecord,
  type TeamRole,
  type TokenRecord,
  type TokenStore,
} from "@tokengate/core";
import type { Pool, QueryConfig, QueryResultRow } from "pg";
import { constraintViolation, isUniqueViolation, run, statement } from "./sql";

/** A store's statements over its token table, each with the one parameter it names. */
export interface TokenTableSql {
  /** `$1` a digest. */
  readonly byDigest: string;
  /** `$1` an id. */
  readonly byId: string;
  /** The new row, `RETURNING` its columns; the values are `insertRow`'s. */
  readonly insert: string;
  /** `$1` a user id: the user's personal tokens, newest first. */
  readonly byUser: string;
  /** `$1` a team id: the team's tokens, newest first. */
  readonly byTeam: string;
  /** `$1` an id. */
  readonly delete: string;
}

/**
 * The columns the joined lookup adds after the token's own, the same in both stores: the creator
 * (`c_`), the team (`tm_`), the team's owner (`o_`), and the creator's and the owner's roles.
 */
export interface JoinedColumns {
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

/** The joined lookup's select list after the token's columns, with the aliases `JoinedColumns` reads. */
export function joinedColumnsSql(teamOwner: string): string {
  return `c.id AS c_id, c.name AS c_name, c.email AS c_email, c.disabled AS c_disabled,
  tm.id AS tm_id, tm.name AS tm_name, ${teamOwner} AS tm_owner_user_id,
  o.id AS o_id, o.name AS o_name, o.email AS o_email, o.disabled AS o_disabled`;
}

/**
 * A `TokenStore` over a token table on a pool, the base of both PostgreSQL stores: it answers the
 * reads, the lists, `delete` and `ping` with the statements of `sql`; a store adds its `name`,
 * `insert` (through `insertRow`), `markReplaced`, `touchLastUsed` and `credentialReader` (through
 * `readCredentials`). `Row` is what the statements return and `toRecord` makes it the core's
 * `TokenRecord`; `label` names the store in the errors it throws, never with a row's values.
 */
export abstract class TokenTable<Row extends QueryResultRow> implements TokenStore {
  abstract readonly name: string;
  readonly #pool: Pool;
  readonly #label: string;
  readonly #toRecord: (row: Row) => TokenRecord;
  readonly #fields: Readonly<Record<string, string>>;
  readonly #byDigest;
  readonly #byId;
  readonly #insert;
  readonly #byUser;
  readonly #byTeam;
  readonly #delete;

  /** `fields` maps the table's columns to the token fields a refused insert names. */
  constructor(
    pool: Pool,
    label: string,
    sql: TokenTableSql,
    toRecord: (row: Row) => TokenRecord,
    fields: Readonly<Record<string, string>>,
  ) {
    this.#pool = pool;
    this.#label = label;
    this.#toRecord = toRecord;
    this.#fields = fields;
    this.#byDigest = statement(sql.byDigest);
    this.#byId = statement(sql.byId);
    this.#insert = statement(sql.insert);
    this.#byUser = statement(sql.byUser);
    this.#byTeam = statement(sql.byTeam);
    this.#delete = statement(sql.delete);
  }

  abstract insert(token: NewTokenRecord): Promise<TokenRecord>;
  abstract markReplaced(id: number, replacedById: number, expiresAt: Date | null): Promise<void>;
  abstract touchLastUsed(entries: ReadonlyArray<{ readonly id: number; readonly at: Date }>): Promise<void>;

  /** One indexed read of an id no token has: a round trip that also proves the table is there. */
  async ping(): Promise<void> {
    await run(this.#pool, this.#byId([0]));
  }

  async findByDigest(digest: string): Promise<TokenRecord | null> {
    return this.#one(this.#byDigest([digest]));
  }

  async findById(id: number): Promise<TokenRecord | null> {
    return this.#one(this.#byId([id]));
  }

  async listByUser(userId: number): Promise<TokenRecord[]> {
    return (await run<Row>(this.#pool, this.#byUser([userId]))).rows.map(this.#toRecord);
  }

  async listByTeam(teamId: number): Promise<TokenRecord[]> {
    return (await run<Row>(this.#pool, this.#byTeam([teamId]))).rows.map(this.#toRecord);
  }

  async delete(id: number): Promise<boolean> {
    return (await run(this.#pool, this.#delete([id]))).rowCount > 0;
  }

  /**
   * Inserts `token`: `$1` to `$7` of `sql.insert` are its name, digest, algorithm, user id, team
   * id, creation and expiry, and `extra` fills the store's own columns after them. Throws `DuplicateDigestError` for a digest that exists and a
   * `StoreConstraintError` naming the field for another integrity violation; the driver's error,
   * whose `detail` can quote the digest, is dropped.
   */
  protected async insertRow(token: NewTokenRecord, ...extra: unknown[]): Promise<TokenRecord> {
    const values = [
      token.name,
      token.digest,
      token.algorithm,
      token.userId,
      token.teamId,
      token.createdAt,
      token.expiresAt,
      ...extra,
    ];
    try {
      const { rows } = await run<Row>(this.#pool, this.#insert(values));
      if (!rows[0]) throw new Error(`${this.#label}: insert returned no row`);
      return this.#toRecord(rows[0]);
    } catch (error) {
      if (isUniqueViolation(error)) throw new DuplicateDigestError(this.#label);
      throw constraintViolation(error, this.#fields) ?? error;
    }
  }

  /**
   * A reader that resolves a digest with `sql`, one named statement and one round trip: the
   * token's columns, then `JoinedColumns`. Which user the token acts as is decided in core.
   */
  protected readCredentials(sql: string): CredentialReader {
    const query = statement(sql);
    const pool = this.#pool;
    const toRecord = this.#toRecord;
    return async function readCredential(digest) {
      const { rows } = await run<Row & JoinedColumns>(pool, query([digest]));
      return rows[0] ? toCredentialRows(rows[0], toRecord) : null;
    };
  }

  async #one(query: QueryConfig<unknown[]>): Promise<TokenRecord | null> {
    const { rows } = await run<Row>(this.#pool, query);
    return rows[0] ? this.#toRecord(rows[0]) : null;
  }
}

function toCredentialRows<Row>(
  row: Row & JoinedColumns,
  toRecord: (row: Row) => TokenRecord,
): CredentialRows {
  return {
    token: toRecord(row),
    creator:
      row.c_id === null
        ? null
        : { id: row.c_id, name: row.c_name, email: row.c_email, disabled: row.c_disabled },
    team: row.tm_id === null ? null : { id: row.tm_id, name: row.tm_name, ownerUserId: row.tm_owner_user_id },
    owner:
      row.o_id === null
        ? null
        : { id: row.o_id, name: row.o_name, email: row.o_email, disabled: row.o_disabled },
    creatorRole: row.c_role,
    ownerRole: row.o_role,
  };
}
