/**
 * A read-only `Directory` over Documenso's users, teams and roles, in either of Documenso's layouts
 * (see `layout.ts`; the statements are in `queries.ts`). Documenso owns its users: nothing here
 * writes.
 */
import {
  consoleLogger,
  type Directory,
  type DirectoryTeam,
  type DirectoryUser,
  type TeamRole,
} from "@tokengate/core";
import type { Pool } from "pg";
import { guardIdleErrors, quoteSchema, run, statement } from "../sql";
import type { DocumensoLayout } from "./layout";
import { directorySql } from "./queries";
import type { DocumensoOptions } from "./token-store";

/**
 * Who may manage a team's tokens in each layout, as Documenso decides it: MANAGE_TEAM (ADMIN and
 * MANAGER) since organisations (packages/lib/constants/teams.ts, used by create-api-token.ts);
 * a team ADMIN only before them (that version's create-api-token.ts).
 */
export const DOCUMENSO_TEAM_TOKEN_ROLES: Readonly<Record<DocumensoLayout, readonly TeamRole[]>> = {
  organisations: ["ADMIN", "MANAGER"],
  teams: ["ADMIN"],
};

/**
 * The pool, quoted schema and layout each directory reads, so a `DocumensoTokenStore` over the same
 * tables can join them (`DocumensoTokenStore.credentialReader`). Not exported from the package.
 */
export const documensoTables = new WeakMap<
  DocumensoDirectory,
  { pool: Pool; schema: string; layout: DocumensoLayout }
>();

interface TeamRow {
  id: number;
  name: string;
  ownerUserId: number;
}

/**
 * Documenso's `"User"`, `"Team"` and roles as a `Directory`. A team's owner is its organisation's
 * `"ownerUserId"`; a user's role is the highest team role over all of the user's organisation
 * groups linked to the team; `teamTokenRoles` is Documenso's own rule, which `createTokenGate`
 * adopts unless told otherwise. In the `teams` layout, the team's `"ownerUserId"` and the user's
 * `"TeamMember"` row.
 *
 * @example
 * const { directory } = await openDocumenso(pool);
 */
export class DocumensoDirectory implements Directory {
  readonly name = "documenso";
  readonly layout: DocumensoLayout;
  readonly teamTokenRoles: readonly TeamRole[];
  readonly #pool: Pool;
  readonly #findUser;
  readonly #findTeam;
  readonly #findRole;
  readonly #teamsOf;

  constructor(pool: Pool, options: DocumensoOptions = {}) {
    this.layout = options.layout ?? "organisations";
    this.teamTokenRoles = DOCUMENSO_TEAM_TOKEN_ROLES[this.layout];
    this.#pool = pool;
    guardIdleErrors(pool, options.logger ?? consoleLogger);
    const s = quoteSchema(options.schema ?? "public");
    documensoTables.set(this, { pool, schema: s, layout: this.layout });
    const sql = directorySql(this.layout, s);
    this.#findUser = statement(sql.findUser);
    this.#findTeam = statement(sql.findTeam);
    this.#findRole = statement(sql.findRole);
    this.#teamsOf = statement(sql.teamsOf);
  }

  async findUser(userId: number): Promise<DirectoryUser | null> {
    const { rows } = await run<DirectoryUser>(this.#pool, this.#findUser([userId]));
    return rows[0] ?? null;
  }

  async findTeam(teamId: number): Promise<DirectoryTeam | null> {
    const { rows } = await run<TeamRow>(this.#pool, this.#findTeam([teamId]));
    return rows[0] ?? null;
  }

  async findRole(teamId: number, userId: number): Promise<TeamRole | null> {
    const { rows } = await run<{ role: TeamRole }>(this.#pool, this.#findRole([teamId, userId]));
    return rows[0]?.role ?? null;
  }

  /**
   * The teams the user reaches, with the highest role in each, by team id. The personal
   * organisation's team is left out: its tokens are the user's personal tokens.
   */
  async listTeamsOf(userId: number): Promise<Array<{ team: DirectoryTeam; role: TeamRole }>> {
    const { rows } = await run<TeamRow & { role: TeamRole }>(this.#pool, this.#teamsOf([userId]));
    return rows.map(({ role, ...team }) => ({ team, role }));
  }
}
