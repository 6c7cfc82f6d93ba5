/**
 * The PostgreSQL `Directory` in tokengate's own `users`, `teams` and `memberships` tables, for
 * applications without a user system of their own.
 */
import {
  consoleLogger,
  type Directory,
  type DirectoryTeam,
  type DirectoryUser,
  type TeamRole,
} from "@tokengate/core";
import type { Pool } from "pg";
import { DEFAULT_SCHEMA } from "./migrate";
import { guardIdleErrors, quoteSchema, run, statement } from "./sql";
import type { PostgresStoreOptions } from "./token-store";

/**
 * The pool and quoted schema each directory reads, so a `PostgresTokenStore` over the same tables
 * can join them (`PostgresTokenStore.credentialReader`). Not exported from the package.
 */
export const directoryTables = new WeakMap<PostgresDirectory, { pool: Pool; schema: string }>();

/**
 * A `Directory` in tokengate's own PostgreSQL tables (`users`, `teams`, `memberships`; see
 * `migrate`), for applications without a user system of their own. Its writes mirror core's
 * `MemoryDirectory` but return promises.
 *
 * @example
 * const directory = new PostgresDirectory(pool);
 * await directory.upsertUser({ id: 1, name: "Ada", email: "ada@example.com", disabled: false });
 */
export class PostgresDirectory implements Directory {
  readonly name = "postgres";
  readonly #pool: Pool;
  readonly #findUser;
  readonly #findTeam;
  readonly #findRole;
  readonly #upsertUser;
  readonly #setDisabled;
  readonly #upsertTeam;
  readonly #setRole;
  readonly #removeRole;
  readonly #teamsOf;

  constructor(pool: Pool, options: PostgresStoreOptions = {}) {
    const s = quoteSchema(options.schema ?? DEFAULT_SCHEMA);
    this.#pool = pool;
    directoryTables.set(this, { pool, schema: s });
    guardIdleErrors(pool, options.logger ?? consoleLogger);
    this.#findUser = statement(`SELECT id, name, email, disabled FROM ${s}.users WHERE id = $1`);
    this.#findTeam = statement(`SELECT id, name, owner_user_id FROM ${s}.teams WHERE id = $1`);
    this.#findRole = statement(`SELECT role FROM ${s}.memberships WHERE team_id = $1 AND user_id = $2`);
    this.#upsertUser = statement(
      `INSERT INTO ${s}.users (id, name, email, disabled) VALUES ($1, $2, $3, $4)
       ON CONFLICT (id) DO UPDATE SET name = excluded.name, email = excluded.email, disabled = excluded.disabled`,
    );
    this.#setDisabled = statement(`UPDATE ${s}.users SET disabled = $2 WHERE id = $1`);
    this.#upsertTeam = statement(
      `INSERT INTO ${s}.teams (id, name, owner_user_id) VALUES ($1, $2, $3)
       ON CONFLICT (id) DO UPDATE SET name = excluded.name, owner_user_id = excluded.owner_user_id`,
    );
    this.#setRole = statement(
      `INSERT INTO ${s}.memberships (team_id, user_id, role) VALUES ($1, $2, $3)
       ON CONFLICT (team_id, user_id) DO UPDATE SET role = excluded.role`,
    );
    this.#removeRole = statement(`DELETE FROM ${s}.memberships WHERE team_id = $1 AND user_id = $2`);
    this.#teamsOf = statement(
      `SELECT t.id, t.name, t.owner_user_id, m.role FROM ${s}.memberships m JOIN ${s}.teams t ON t.id = m.team_id
       WHERE m.user_id = $1 ORDER BY t.id`,
    );
  }

  async findUser(userId: number): Promise<DirectoryUser | null> {
    const { rows } = await run<DirectoryUser>(this.#pool, this.#findUser([userId]));
    return rows[0] ?? null;
  }

  async findTeam(teamId: number): Promise<DirectoryTeam | null> {
    const { rows } = await run<{ id: number; name: string | null; owner_user_id: number }>(
      this.#pool,
      this.#findTeam([teamId]),
    );
    const row = rows[0];
    return row ? { id: row.id, name: row.name, ownerUserId: row.owner_user_id } : null;
  }

  async findRole(teamId: number, userId: number): Promise<TeamRole | null> {
    const { rows } = await run<{ role: TeamRole }>(this.#pool, this.#findRole([teamId, userId]));
    return rows[0]?.role ?? null;
  }

  /** The teams the user belongs to, with the role in each (the token page's team picker). */
  async listTeamsOf(userId: number): Promise<Array<{ team: DirectoryTeam; role: TeamRole }>> {
    const { rows } = await run<{ id: number; name: string | null; owner_user_id: number; role: TeamRole }>(
      this.#pool,
      this.#teamsOf([userId]),
    );
    return rows.map((row) => ({
      team: { id: row.id, name: row.name, ownerUserId: row.owner_user_id },
      role: row.role,
    }));
  }

  /** Creates the user or replaces its fields. */
  async upsertUser(user: DirectoryUser): Promise<void> {
    await run(this.#pool, this.#upsertUser([user.id, user.name ?? null, user.email ?? null, user.disabled]));
  }

  /** Rejects when there is no such user, as `MemoryDirectory` throws. */
  async setDisabled(userId: number, disabled: boolean): Promise<void> {
    const { rowCount } = await run(this.#pool, this.#setDisabled([userId, disabled]));
    if (rowCount === 0) throw new Error(`PostgresDirectory: no user ${userId}`);
  }

  /** Creates the team or replaces its fields. */
  async upsertTeam(team: DirectoryTeam): Promise<void> {
    await run(this.#pool, this.#upsertTeam([team.id, team.name ?? null, team.ownerUserId]));
  }

  /** Sets the user's role in the team; `null` removes the membership. */
  async setRole(teamId: number, userId: number, role: TeamRole | null): Promise<void> {
    if (role === null) await run(this.#pool, this.#removeRole([teamId, userId]));
    else await run(this.#pool, this.#setRole([teamId, userId, role]));
  }
}
