/**
 * The SQL that reads Documenso's rules out of its tables, one statement per question and layout,
 * so the store and the directory ask them the same way. Each follows what Documenso's own code does
 * (paths in Documenso's repository, v2.17.0):
 * - role: the highest `"TeamGroup"."teamRole"` over the organisation groups the user is in
 *   (packages/lib/utils/teams.ts: buildTeamWhereQuery, getHighestTeamRoleInGroup);
 * - team owner: the organisation's `"ownerUserId"`
 *   (packages/lib/server-only/public-api/get-api-token-by-token.ts);
 * - personal team: the team of the user's personal organisation, which sign-up creates
 *   (packages/lib/server-only/organisation/create-organisation.ts: createPersonalOrganisation).
 */
import { joinedColumnsSql } from "../token-table";
import type { DocumensoLayout } from "./layout";

/** ADMIN above MANAGER above MEMBER, as Documenso's TEAM_MEMBER_ROLE_HIERARCHY ranks them. */
const rank = (column: string) => `CASE ${column} WHEN 'ADMIN' THEN 0 WHEN 'MANAGER' THEN 1 ELSE 2 END`;

/**
 * The team holding user `param`'s personal tokens, as a scalar subquery: the team of the personal
 * organisation the user owns. With billing on, Documenso also types organisations a user creates
 * later as PERSONAL, so the first one made (the sign-up one) is the personal organisation.
 */
export function personalTeamSql(s: string, param: string): string {
  return `(SELECT pt.id FROM ${s}."Team" pt JOIN ${s}."Organisation" po ON po.id = pt."organisationId"
    WHERE po."ownerUserId" = ${param} AND po.type = 'PERSONAL'
    ORDER BY po."createdAt", po.id, pt."createdAt", pt.id LIMIT 1)`;
}

// A user reaches a team through every group they are in that the team is linked to: the
// organisation-wide groups a team inherits and the team's own ADMIN/MANAGER/MEMBER groups.
const groupsOf = (s: string) => `${s}."TeamGroup" tg
    JOIN ${s}."OrganisationGroupMember" ogm ON ogm."groupId" = tg."organisationGroupId"
    JOIN ${s}."OrganisationMember" om ON om.id = ogm."organisationMemberId"`;

/**
 * The role of user `user` in team `team` (SQL expressions: parameters, or columns of an outer
 * query), as one `role` row at most: the directory's `findRole`, and a subquery of the joined lookup.
 */
function roleSql(layout: DocumensoLayout, s: string, team: string, user: string): string {
  if (layout === "teams") {
    return `SELECT role::text AS role FROM ${s}."TeamMember" WHERE "teamId" = ${team} AND "userId" = ${user}`;
  }
  return `SELECT tg."teamRole"::text AS role FROM ${groupsOf(s)}
      WHERE tg."teamId" = ${team} AND om."userId" = ${user}
      ORDER BY ${rank('tg."teamRole"')} LIMIT 1`;
}

/** The directory's statements for a layout; `s` is the quoted schema. */
export function directorySql(layout: DocumensoLayout, s: string) {
  const findUser = `SELECT id, name, email, disabled FROM ${s}."User" WHERE id = $1`;
  const findRole = roleSql(layout, s, "$1", "$2");
  if (layout === "teams") {
    return {
      findUser,
      findTeam: `SELECT id, name, "ownerUserId" FROM ${s}."Team" WHERE id = $1`,
      findRole,
      teamsOf: `SELECT t.id, t.name, t."ownerUserId", m.role::text AS role
        FROM ${s}."TeamMember" m JOIN ${s}."Team" t ON t.id = m."teamId"
        WHERE m."userId" = $1 ORDER BY t.id`,
    };
  }
  return {
    findUser,
    findTeam: `SELECT t.id, t.name, o."ownerUserId" FROM ${s}."Team" t
      JOIN ${s}."Organisation" o ON o.id = t."organisationId" WHERE t.id = $1`,
    findRole,
    // The personal team is left out: its tokens are the user's personal tokens (teamId null in a
    // create or list request), so offering it as a team too would show them twice.
    teamsOf: `SELECT DISTINCT ON (t.id) t.id, t.name, o."ownerUserId", tg."teamRole"::text AS role
      FROM ${groupsOf(s)}
      JOIN ${s}."Team" t ON t.id = tg."teamId"
      JOIN ${s}."Organisation" o ON o.id = t."organisationId"
      WHERE om."userId" = $1 AND t.id IS DISTINCT FROM ${personalTeamSql(s, "$1")}
      ORDER BY t.id, ${rank('tg."teamRole"')}`,
  };
}

/**
 * The store's joined lookup for a layout: `tokenColumns` (of `"ApiToken" t`), then the rows its ids
 * point at (`JoinedColumns` in ../token-table.ts), read by the same rules as the directory's
 * statements above: the creator (`c_`), the team (`tm_`, with its owner as `findTeam` finds it), the
 * owner (`o_`), and the creator's and the owner's roles (`roleSql`). One statement, one round trip;
 * which user the token acts as is decided in core.
 */
export function credentialSql(layout: DocumensoLayout, s: string, tokenColumns: string): string {
  // The organisation layout's team is found only with its organisation, as `findTeam` joins them.
  const [team, owner] =
    layout === "teams"
      ? [`LEFT JOIN ${s}."Team" tm ON tm.id = t."teamId"`, `tm."ownerUserId"`]
      : [
          `LEFT JOIN (${s}."Team" tm JOIN ${s}."Organisation" org ON org.id = tm."organisationId")
        ON tm.id = t."teamId"`,
          `org."ownerUserId"`,
        ];
  return `SELECT ${tokenColumns},
    ${joinedColumnsSql(owner)},
    (${roleSql(layout, s, "tm.id", 't."userId"')}) AS c_role,
    (${roleSql(layout, s, "tm.id", owner)}) AS o_role
    FROM ${s}."ApiToken" t
    LEFT JOIN ${s}."User" c ON c.id = t."userId"
    ${team}
    LEFT JOIN ${s}."User" o ON o.id = ${owner}
    WHERE t.token = $1`;
}
