/**
 * Test-side access to the Documenso fixture: loads Documenso's tables into a schema the test owns,
 * and seeds users and teams the way Documenso's own tables hold them (DocumensoDirectory is
 * read-only; Documenso owns its users).
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import type { DirectoryTeam, DirectoryUser, TeamRole } from "@tokengate/core";
import type { Pool } from "pg";

const FIXTURE = readFileSync(join(__dirname, "fixtures", "documenso-schema.sql"), "utf8");

let counter = 0;

/** A schema name no other test file or worker will pick. */
export function uniqueSchema(prefix: string): string {
  counter += 1;
  return `${prefix}_${process.pid}_${Date.now().toString(36)}_${counter}`;
}

/** Creates `schema` holding Documenso's tables, as Documenso's migrations leave them. */
export async function loadDocumensoSchema(pool: Pool, schema: string): Promise<void> {
  await pool.query(
    `BEGIN; CREATE SCHEMA "${schema}"; SET LOCAL search_path TO "${schema}"; ${FIXTURE}; COMMIT;`,
  );
}

export async function dropSchema(pool: Pool, schema: string): Promise<void> {
  await pool.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
}

/** Writes Documenso's rows for the directory: a team's owner lives on its organisation. */
export function documensoSeeder(pool: Pool, schema: string) {
  const s = `"${schema}"`;
  return {
    async upsertUser(user: DirectoryUser): Promise<void> {
      await pool.query(
        `INSERT INTO ${s}."User" (id, name, email, disabled) VALUES ($1, $2, $3, $4)
         ON CONFLICT (id) DO UPDATE SET name = excluded.name, email = excluded.email, disabled = excluded.disabled`,
        [user.id, user.name ?? null, user.email ?? `user${user.id}@example.com`, user.disabled],
      );
    },
    async setDisabled(userId: number, disabled: boolean): Promise<void> {
      const { rowCount } = await pool.query(`UPDATE ${s}."User" SET disabled = $2 WHERE id = $1`, [
        userId,
        disabled,
      ]);
      if (rowCount === 0) throw new Error(`no user ${userId}`);
    },
    async upsertTeam(team: DirectoryTeam): Promise<void> {
      const org = `org_${team.id}`;
      await pool.query(
        `INSERT INTO ${s}."Organisation" (id, name, url, "ownerUserId") VALUES ($1, $2, $1, $3)
         ON CONFLICT (id) DO UPDATE SET "ownerUserId" = excluded."ownerUserId"`,
        [org, `${team.name ?? "team"} organisation`, team.ownerUserId],
      );
      await pool.query(
        `INSERT INTO ${s}."Team" (id, name, url, "organisationId") VALUES ($1, $2, $3, $4)
         ON CONFLICT (id) DO UPDATE SET name = excluded.name, "organisationId" = excluded."organisationId"`,
        [team.id, team.name ?? `team ${team.id}`, `team-${team.id}`, org],
      );
    },
    async setRole(teamId: number, userId: number, role: TeamRole | null): Promise<void> {
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
