/**
 * Test-side access to Documenso's tables: loads either layout's fixture into a schema the test owns,
 * and offers the conformance suites' directory writes over Documenso's rows (DocumensoDirectory is
 * read-only; Documenso owns its users). The rows themselves are written by `DocumensoRows` (rows.ts),
 * the way Documenso's code writes them. Shared by the postgres package's tests, the conformance
 * suites and the CLI's `doctor` tests.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import type { DirectoryTeam, DirectoryUser, TeamRole } from "@tokengate/core";
import type { DocumensoLayout } from "@tokengate/postgres";
import type { Pool } from "pg";
import { DocumensoRows, documensoId } from "./rows";

const FIXTURES: Record<DocumensoLayout, string> = {
  organisations: readFileSync(join(__dirname, "organisations.sql"), "utf8"),
  teams: readFileSync(join(__dirname, "teams.sql"), "utf8"),
};

let counter = 0;

/** A schema name no other test file or worker will pick. */
export function uniqueSchema(prefix: string): string {
  counter += 1;
  return `${prefix}_${process.pid}_${Date.now().toString(36)}_${counter}`;
}

/** Creates `schema` holding Documenso's tables in `layout` (default: organisations, Documenso v2). */
export async function loadDocumensoSchema(
  pool: Pool,
  schema: string,
  layout: DocumensoLayout = "organisations",
): Promise<void> {
  await pool.query(
    `BEGIN; CREATE SCHEMA "${schema}"; SET LOCAL search_path TO "${schema}"; ${FIXTURES[layout]}; COMMIT;`,
  );
}

export async function dropSchema(pool: Pool, schema: string): Promise<void> {
  await pool.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
}

/** The id the conformance seeder gives user N's personal team, so suites can expect it. */
export const personalTeamIdOf = (userId: number) => 1000 + userId;

/** The writes the conformance suites make, over Documenso's tables. */
export interface DocumensoSeeder {
  upsertUser(user: DirectoryUser): Promise<void>;
  setDisabled(userId: number, disabled: boolean): Promise<void>;
  upsertTeam(team: DirectoryTeam): Promise<void>;
  setRole(teamId: number, userId: number, role: TeamRole | null): Promise<void>;
}

/**
 * The conformance suites' writes in the organisation layout. A new user gets a personal
 * organisation and team (team id `personalTeamIdOf(user)`), as sign-up gives one; each team gets
 * an organisation of its own, owned by the team's owner, so a membership in one suite team never
 * reaches another; `setRole(…, null)` is leaving that organisation.
 */
export function documensoSeeder(pool: Pool, schema: string): DocumensoSeeder {
  const s = `"${schema}"`;
  const rows = new DocumensoRows(pool, schema);
  const exists = async (table: string, id: number) =>
    (await pool.query(`SELECT 1 FROM ${s}."${table}" WHERE id = $1`, [id])).rowCount === 1;
  return {
    async upsertUser(user) {
      const email = user.email ?? `user${user.id}@example.com`;
      if (await exists("User", user.id)) {
        await pool.query(`UPDATE ${s}."User" SET name = $2, email = $3, disabled = $4 WHERE id = $1`, [
          user.id,
          user.name ?? null,
          email,
          user.disabled,
        ]);
        return;
      }
      await rows.createUser({
        id: user.id,
        name: user.name ?? null,
        email,
        disabled: user.disabled,
        personalTeamId: personalTeamIdOf(user.id),
      });
    },
    setDisabled: (userId, disabled) => rows.setDisabled(userId, disabled),
    async upsertTeam(team) {
      if (await exists("Team", team.id)) {
        await pool.query(`UPDATE ${s}."Team" SET name = $2 WHERE id = $1`, [
          team.id,
          team.name ?? `team ${team.id}`,
        ]);
        await rows.setOwner(await rows.organisationOf(team.id), team.ownerUserId);
        return;
      }
      const organisationId = await rows.createOrganisation({
        ownerUserId: team.ownerUserId,
        name: `${team.name ?? "team"} organisation`,
      });
      await rows.createTeam({ organisationId, name: team.name ?? `team ${team.id}`, id: team.id });
    },
    async setRole(teamId, userId, role) {
      if (role === null) await rows.leaveOrganisation(await rows.organisationOf(teamId), userId);
      else await rows.setTeamRole(teamId, userId, role);
    },
  };
}

/** The conformance suites' writes in the pre-organisation layout: plain rows, as Documenso 1.x kept them. */
export function documensoTeamsSeeder(pool: Pool, schema: string): DocumensoSeeder {
  const s = `"${schema}"`;
  return {
    async upsertUser(user) {
      await pool.query(
        `INSERT INTO ${s}."User" (id, name, email, disabled) VALUES ($1, $2, $3, $4)
         ON CONFLICT (id) DO UPDATE SET name = excluded.name, email = excluded.email, disabled = excluded.disabled`,
        [user.id, user.name ?? null, user.email ?? `user${user.id}@example.com`, user.disabled],
      );
    },
    async setDisabled(userId, disabled) {
      const { rowCount } = await pool.query(`UPDATE ${s}."User" SET disabled = $2 WHERE id = $1`, [
        userId,
        disabled,
      ]);
      if (rowCount === 0) throw new Error(`no user ${userId}`);
    },
    async upsertTeam(team) {
      await pool.query(
        `INSERT INTO ${s}."Team" (id, name, url, "ownerUserId") VALUES ($1, $2, $3, $4)
         ON CONFLICT (id) DO UPDATE SET name = excluded.name, "ownerUserId" = excluded."ownerUserId"`,
        [team.id, team.name ?? `team ${team.id}`, documensoId("team"), team.ownerUserId],
      );
    },
    async setRole(teamId, userId, role) {
      if (role === null) {
        await pool.query(`DELETE FROM ${s}."TeamMember" WHERE "teamId" = $1 AND "userId" = $2`, [
          teamId,
          userId,
        ]);
      } else {
        await pool.query(
          `INSERT INTO ${s}."TeamMember" ("teamId", "userId", role) VALUES ($1, $2, $3)
           ON CONFLICT ("userId", "teamId") DO UPDATE SET role = excluded.role`,
          [teamId, userId, role],
        );
      }
    },
  };
}
