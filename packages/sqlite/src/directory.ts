/**
 * The SQLite `Directory` in the `users`, `teams` and `memberships` tables beside the tokens, for
 * applications without a user system of their own; also the row mappings the store's joined lookup
 * reuses.
 */
import type { Directory, DirectoryTeam, DirectoryUser, TeamRole } from "@tokengate/core";
import type { Database, Statement } from "better-sqlite3";
import { migrateSqlite } from "./schema";

export interface UserRow {
  id: number;
  name: string | null;
  email: string | null;
  disabled: number;
}

export interface TeamRow {
  id: number;
  name: string | null;
  owner_user_id: number;
}

export const toUser = (row: UserRow): DirectoryUser => ({
  id: row.id,
  name: row.name,
  email: row.email,
  disabled: row.disabled !== 0,
});

export const toTeam = (row: TeamRow): DirectoryTeam => ({
  id: row.id,
  name: row.name,
  ownerUserId: row.owner_user_id,
});

/**
 * The connection each directory reads, so a `SqliteTokenStore` over the same connection can join
 * its tables (`SqliteTokenStore.credentialReader`). Not exported from the package.
 */
export const directoryDatabase: WeakMap<SqliteDirectory, Database> = new WeakMap();

/**
 * A `Directory` in the same SQLite database as the tokens (tables `users`, `teams`,
 * `memberships`), for applications that have no user system of their own: the demo and the CLI.
 * Its writes mirror core's `MemoryDirectory`. Statements are prepared once.
 *
 * @example
 * const directory = new SqliteDirectory(db)
 *   .upsertUser({ id: 1, name: "Ada", email: "ada@example.com", disabled: false })
 *   .upsertTeam({ id: 7, name: "Platform", ownerUserId: 1 })
 *   .setRole(7, 1, "ADMIN");
 */
export class SqliteDirectory implements Directory {
  readonly name = "sqlite";
  readonly #findUser: Statement<[number], UserRow>;
  readonly #findTeam: Statement<[number], TeamRow>;
  readonly #findRole: Statement<[number, number], { role: TeamRole }>;
  readonly #upsertUser: Statement<[number, string | null, string | null, number]>;
  readonly #setDisabled: Statement<[number, number]>;
  readonly #upsertTeam: Statement<[number, string | null, number]>;
  readonly #setRole: Statement<[number, number, TeamRole]>;
  readonly #removeRole: Statement<[number, number]>;
  readonly #teamsOf: Statement<[number], TeamRow & { role: TeamRole }>;

  constructor(db: Database) {
    migrateSqlite(db);
    directoryDatabase.set(this, db);
    this.#findUser = db.prepare("SELECT id, name, email, disabled FROM users WHERE id = ?");
    this.#findTeam = db.prepare("SELECT id, name, owner_user_id FROM teams WHERE id = ?");
    this.#findRole = db.prepare("SELECT role FROM memberships WHERE team_id = ? AND user_id = ?");
    this.#upsertUser = db.prepare(
      `INSERT INTO users (id, name, email, disabled) VALUES (?, ?, ?, ?)
       ON CONFLICT (id) DO UPDATE SET name = excluded.name, email = excluded.email, disabled = excluded.disabled`,
    );
    this.#setDisabled = db.prepare("UPDATE users SET disabled = ? WHERE id = ?");
    this.#upsertTeam = db.prepare(
      `INSERT INTO teams (id, name, owner_user_id) VALUES (?, ?, ?)
       ON CONFLICT (id) DO UPDATE SET name = excluded.name, owner_user_id = excluded.owner_user_id`,
    );
    this.#setRole = db.prepare(
      `INSERT INTO memberships (team_id, user_id, role) VALUES (?, ?, ?)
       ON CONFLICT (team_id, user_id) DO UPDATE SET role = excluded.role`,
    );
    this.#removeRole = db.prepare("DELETE FROM memberships WHERE team_id = ? AND user_id = ?");
    this.#teamsOf = db.prepare(
      `SELECT t.id, t.name, t.owner_user_id, m.role FROM memberships m JOIN teams t ON t.id = m.team_id
       WHERE m.user_id = ? ORDER BY t.id`,
    );
  }

  async findUser(userId: number): Promise<DirectoryUser | null> {
    const row = this.#findUser.get(userId);
    return row ? toUser(row) : null;
  }

  async findTeam(teamId: number): Promise<DirectoryTeam | null> {
    const row = this.#findTeam.get(teamId);
    return row ? toTeam(row) : null;
  }

  async findRole(teamId: number, userId: number): Promise<TeamRole | null> {
    return this.#findRole.get(teamId, userId)?.role ?? null;
  }

  /** The teams the user belongs to, with the role in each (the token page's team picker). */
  async listTeamsOf(userId: number): Promise<Array<{ team: DirectoryTeam; role: TeamRole }>> {
    return this.#teamsOf.all(userId).map((row) => ({ team: toTeam(row), role: row.role }));
  }

  /** Creates the user or replaces its fields. */
  upsertUser(user: DirectoryUser): this {
    this.#upsertUser.run(user.id, user.name ?? null, user.email ?? null, user.disabled ? 1 : 0);
    return this;
  }

  /** Throws when there is no such user, as `MemoryDirectory` does. */
  setDisabled(userId: number, disabled: boolean): this {
    if (this.#setDisabled.run(disabled ? 1 : 0, userId).changes === 0) {
      throw new Error(`SqliteDirectory: no user ${userId}`);
    }
    return this;
  }

  /** Creates the team or replaces its fields. */
  upsertTeam(team: DirectoryTeam): this {
    this.#upsertTeam.run(team.id, team.name ?? null, team.ownerUserId);
    return this;
  }

  /** Sets the user's role in the team; `null` removes the membership. */
  setRole(teamId: number, userId: number, role: TeamRole | null): this {
    if (role === null) this.#removeRole.run(teamId, userId);
    else this.#setRole.run(teamId, userId, role);
    return this;
  }
}
