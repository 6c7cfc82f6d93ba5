/**
 * Writes Documenso's rows the way Documenso's own code writes them (organisation layout), so the
 * tests meet the data a real Documenso database holds. Each method names the Documenso function it
 * follows (paths in Documenso's repository, v2.17.0). Text ids follow Documenso's `prefix_random`
 * shape; integer ids come from the sequences unless a test fixes them, so the same code can write
 * into a real Documenso database (TOKENGATE_TEST_DOCUMENSO_URL) next to the rows already there.
 */
import { createHash, randomUUID } from "node:crypto";
import type { TeamRole } from "@tokengate/core";
import type { Pool } from "pg";

/** A text id in Documenso's shape (generateDatabaseId / prefixedId in packages/lib/universal/id.ts). */
export const documensoId = (prefix: string) => `${prefix}_${randomUUID().replace(/-/g, "").slice(0, 16)}`;

/** How Documenso stores a token: SHA-512 of the whole string, hex (packages/lib/server-only/auth/hash.ts). */
export const documensoHash = (token: string) => createHash("sha512").update(token).digest("hex");

export interface CreatedUser {
  readonly userId: number;
  readonly personalOrganisationId: string;
  readonly personalTeamId: number;
}

/** Rows a test created, so a run against a real database can remove exactly them afterwards. */
interface Written {
  users: number[];
  organisations: string[];
  /** Rows an organisation or team points at, kept by id: a user deleted mid-test takes the pointers with it. */
  claims: string[];
  settings: string[];
  portals: string[];
  teamSettings: string[];
}

const ORG_ROLES = ["ADMIN", "MANAGER", "MEMBER"] as const;

export class DocumensoRows {
  readonly #pool: Pool;
  readonly #s: string;
  readonly #written: Written = {
    users: [],
    organisations: [],
    claims: [],
    settings: [],
    portals: [],
    teamSettings: [],
  };

  constructor(pool: Pool, schema: string) {
    this.#pool = pool;
    this.#s = `"${schema}"`;
  }

  /**
   * A user and the personal organisation and team sign-up gives them
   * (packages/lib/server-only/user/create-user.ts, then createPersonalOrganisation).
   */
  async createUser(input: {
    name: string | null;
    email?: string;
    disabled?: boolean;
    id?: number;
    personalTeamId?: number;
  }): Promise<CreatedUser> {
    const email = input.email ?? `${documensoId("user")}@example.com`;
    const { rows } = await this.#pool.query<{ id: number }>(
      input.id === undefined
        ? `INSERT INTO ${this.#s}."User" (name, email, disabled) VALUES ($1, $2, $3) RETURNING id`
        : `INSERT INTO ${this.#s}."User" (id, name, email, disabled) VALUES ($4, $1, $2, $3) RETURNING id`,
      input.id === undefined
        ? [input.name, email, input.disabled ?? false]
        : [input.name, email, input.disabled ?? false, input.id],
    );
    const userId = rows[0]!.id;
    this.#written.users.push(userId);
    const personalOrganisationId = await this.createOrganisation({
      ownerUserId: userId,
      name: "Personal Organisation",
      type: "PERSONAL",
    });
    const personalTeamId = await this.createTeam({
      organisationId: personalOrganisationId,
      name: "Personal Team",
      url: documensoId("personal"),
      ...(input.personalTeamId === undefined ? {} : { id: input.personalTeamId }),
    });
    return { userId, personalOrganisationId, personalTeamId };
  }

  /**
   * A user without a personal organisation, as SSO provisioning leaves one when the portal does
   * not allow personal organisations (OrganisationAuthenticationPortal.allowPersonalOrganisations).
   */
  async createUserWithoutOrganisation(name: string): Promise<number> {
    const { rows } = await this.#pool.query<{ id: number }>(
      `INSERT INTO ${this.#s}."User" (name, email) VALUES ($1, $2) RETURNING id`,
      [name, `${documensoId("user")}@example.com`],
    );
    this.#written.users.push(rows[0]!.id);
    return rows[0]!.id;
  }

  /**
   * An organisation with its settings, claim and SSO portal rows, its three internal groups, and
   * its owner as a member of the ADMIN group
   * (packages/lib/server-only/organisation/create-organisation.ts: createOrganisation).
   */
  async createOrganisation(input: {
    ownerUserId: number;
    name: string;
    type?: "PERSONAL" | "ORGANISATION";
  }): Promise<string> {
    const s = this.#s;
    const settings = documensoId("org_setting");
    const claim = documensoId("org_claim");
    const portal = documensoId("org_sso");
    const id = documensoId("org");
    await this.#pool.query(
      `INSERT INTO ${s}."OrganisationGlobalSettings" (id, "emailDocumentSettings") VALUES ($1, $2)`,
      [settings, JSON.stringify({ recipientSigningRequest: true, documentCompleted: true })],
    );
    await this.#pool.query(
      `INSERT INTO ${s}."OrganisationClaim" (id, "updatedAt", "teamCount", "memberCount", "envelopeItemCount",
         "recipientCount", flags, "documentRateLimits", "emailRateLimits", "apiRateLimits")
       VALUES ($1, now(), 1, 1, 5, 10, '{}', '[]', '[]', '[]')`,
      [claim],
    );
    await this.#pool.query(
      `INSERT INTO ${s}."OrganisationAuthenticationPortal" (id, enabled, "clientId", "clientSecret", "wellKnownUrl")
       VALUES ($1, false, '', '', '')`,
      [portal],
    );
    await this.#pool.query(
      `INSERT INTO ${s}."Organisation" (id, "updatedAt", type, name, url, "ownerUserId", "organisationClaimId",
         "organisationGlobalSettingsId", "organisationAuthenticationPortalId")
       VALUES ($1, now(), $2, $3, $1, $4, $5, $6, $7)`,
      [id, input.type ?? "ORGANISATION", input.name, input.ownerUserId, claim, settings, portal],
    );
    this.#written.organisations.push(id);
    this.#written.claims.push(claim);
    this.#written.settings.push(settings);
    this.#written.portals.push(portal);
    for (const role of ORG_ROLES) {
      await this.#pool.query(
        `INSERT INTO ${s}."OrganisationGroup" (id, type, "organisationRole", "organisationId")
         VALUES ($1, 'INTERNAL_ORGANISATION', $2, $3)`,
        [documensoId("org_group"), role, id],
      );
    }
    await this.joinOrganisation(id, input.ownerUserId, "ADMIN");
    return id;
  }

  /**
   * A team: its settings row, the organisation's internal groups attached (ADMIN and MANAGER as
   * team ADMIN, MEMBER as team MEMBER), and the team's own ADMIN, MANAGER and MEMBER groups
   * (packages/lib/server-only/team/create-team.ts: createTeam, with inheritMembers).
   */
  async createTeam(input: {
    organisationId: string;
    name: string;
    url?: string;
    id?: number;
  }): Promise<number> {
    const s = this.#s;
    const settings = documensoId("team_setting");
    await this.#pool.query(`INSERT INTO ${s}."TeamGlobalSettings" (id) VALUES ($1)`, [settings]);
    this.#written.teamSettings.push(settings);
    const url = input.url ?? documensoId("team");
    const { rows } = await this.#pool.query<{ id: number }>(
      input.id === undefined
        ? `INSERT INTO ${s}."Team" (name, url, "organisationId", "teamGlobalSettingsId") VALUES ($1, $2, $3, $4) RETURNING id`
        : `INSERT INTO ${s}."Team" (id, name, url, "organisationId", "teamGlobalSettingsId") VALUES ($5, $1, $2, $3, $4) RETURNING id`,
      input.id === undefined
        ? [input.name, url, input.organisationId, settings]
        : [input.name, url, input.organisationId, settings, input.id],
    );
    const teamId = rows[0]!.id;
    const { rows: groups } = await this.#pool.query<{ id: string; organisationRole: string }>(
      `SELECT id, "organisationRole"::text AS "organisationRole" FROM ${s}."OrganisationGroup"
       WHERE "organisationId" = $1 AND type = 'INTERNAL_ORGANISATION'`,
      [input.organisationId],
    );
    for (const group of groups) {
      await this.#pool.query(
        `INSERT INTO ${s}."TeamGroup" (id, "organisationGroupId", "teamRole", "teamId") VALUES ($1, $2, $3, $4)`,
        [
          documensoId("team_group"),
          group.id,
          group.organisationRole === "MEMBER" ? "MEMBER" : "ADMIN",
          teamId,
        ],
      );
    }
    for (const role of ORG_ROLES) {
      const groupId = documensoId("org_group");
      await this.#pool.query(
        `INSERT INTO ${s}."OrganisationGroup" (id, type, "organisationRole", "organisationId")
         VALUES ($1, 'INTERNAL_TEAM', 'MEMBER', $2)`,
        [groupId, input.organisationId],
      );
      await this.#pool.query(
        `INSERT INTO ${s}."TeamGroup" (id, "organisationGroupId", "teamRole", "teamId") VALUES ($1, $2, $3, $4)`,
        [documensoId("team_group"), groupId, role, teamId],
      );
    }
    return teamId;
  }

  /**
   * The user joins the organisation in the internal group of `role` (accepting an invitation:
   * packages/lib/server-only/organisation/accept-organisation-invitation.ts, addUserToOrganisation).
   * A no-op for an existing member.
   */
  async joinOrganisation(organisationId: string, userId: number, role: "ADMIN" | "MANAGER" | "MEMBER") {
    const s = this.#s;
    const existing = await this.#memberId(organisationId, userId);
    if (existing) return existing;
    const memberId = documensoId("member");
    await this.#pool.query(
      `INSERT INTO ${s}."OrganisationMember" (id, "updatedAt", "userId", "organisationId") VALUES ($1, now(), $2, $3)`,
      [memberId, userId, organisationId],
    );
    await this.#pool.query(
      `INSERT INTO ${s}."OrganisationGroupMember" (id, "groupId", "organisationMemberId")
       SELECT $1, g.id, $2 FROM ${s}."OrganisationGroup" g
       WHERE g."organisationId" = $3 AND g.type = 'INTERNAL_ORGANISATION' AND g."organisationRole" = $4`,
      [documensoId("group_member"), memberId, organisationId, role],
    );
    return memberId;
  }

  /**
   * Puts an organisation member in the team's own group for `role`, leaving the one they were in
   * (packages/trpc/server/team-router/create-team-members.ts and update-team-member.ts).
   */
  async setTeamRole(teamId: number, userId: number, role: TeamRole): Promise<void> {
    const s = this.#s;
    const { rows } = await this.#pool.query<{ organisationId: string }>(
      `SELECT "organisationId" FROM ${s}."Team" WHERE id = $1`,
      [teamId],
    );
    const organisationId = rows[0]!.organisationId;
    const memberId = await this.joinOrganisation(organisationId, userId, "MEMBER");
    await this.#pool.query(
      `DELETE FROM ${s}."OrganisationGroupMember" gm USING ${s}."TeamGroup" tg, ${s}."OrganisationGroup" g
       WHERE gm."organisationMemberId" = $1 AND gm."groupId" = g.id AND g.type = 'INTERNAL_TEAM'
         AND tg."organisationGroupId" = g.id AND tg."teamId" = $2`,
      [memberId, teamId],
    );
    await this.#pool.query(
      `INSERT INTO ${s}."OrganisationGroupMember" (id, "groupId", "organisationMemberId")
       SELECT $1, tg."organisationGroupId", $2 FROM ${s}."TeamGroup" tg
       JOIN ${s}."OrganisationGroup" g ON g.id = tg."organisationGroupId"
       WHERE tg."teamId" = $3 AND tg."teamRole" = $4 AND g.type = 'INTERNAL_TEAM'`,
      [documensoId("group_member"), memberId, teamId, role],
    );
  }

  /**
   * The user leaves the organisation: the member row goes, its group memberships with it; the
   * user's tokens stay (packages/trpc/server/organisation-router/leave-organisation.ts).
   */
  async leaveOrganisation(organisationId: string, userId: number): Promise<void> {
    await this.#pool.query(
      `DELETE FROM ${this.#s}."OrganisationMember" WHERE "organisationId" = $1 AND "userId" = $2`,
      [organisationId, userId],
    );
  }

  async organisationOf(teamId: number): Promise<string> {
    const { rows } = await this.#pool.query<{ organisationId: string }>(
      `SELECT "organisationId" FROM ${this.#s}."Team" WHERE id = $1`,
      [teamId],
    );
    return rows[0]!.organisationId;
  }

  /** Hands the organisation to another owner, who joins as ADMIN if not a member yet. */
  async setOwner(organisationId: string, userId: number): Promise<void> {
    await this.joinOrganisation(organisationId, userId, "ADMIN");
    await this.#pool.query(
      `UPDATE ${this.#s}."Organisation" SET "ownerUserId" = $2, "updatedAt" = now() WHERE id = $1`,
      [organisationId, userId],
    );
  }

  /**
   * A token row as Documenso's createApiToken writes it
   * (packages/lib/server-only/public-api/create-api-token.ts); `userId: null` is the legacy shape
   * Documenso's lookup still honours. Returns the row's id.
   */
  async createApiToken(input: {
    token: string;
    name: string;
    userId: number | null;
    teamId: number;
    expires?: string | null;
  }): Promise<number> {
    const { rows } = await this.#pool.query<{ id: number }>(
      `INSERT INTO ${this.#s}."ApiToken" (name, token, expires, "userId", "teamId") VALUES ($1, $2, $3, $4, $5) RETURNING id`,
      [input.name, documensoHash(input.token), input.expires ?? null, input.userId, input.teamId],
    );
    return rows[0]!.id;
  }

  async setDisabled(userId: number, disabled: boolean): Promise<void> {
    const { rowCount } = await this.#pool.query(`UPDATE ${this.#s}."User" SET disabled = $2 WHERE id = $1`, [
      userId,
      disabled,
    ]);
    if (rowCount === 0) throw new Error(`no user ${userId}`);
  }

  async #memberId(organisationId: string, userId: number): Promise<string | undefined> {
    const { rows } = await this.#pool.query<{ id: string }>(
      `SELECT id FROM ${this.#s}."OrganisationMember" WHERE "organisationId" = $1 AND "userId" = $2`,
      [organisationId, userId],
    );
    return rows[0]?.id;
  }

  /**
   * Removes every row this writer created: the users (their organisations, teams, memberships and
   * tokens cascade), then the settings, claim and portal rows organisations keep with RESTRICT.
   */
  async removeWritten(): Promise<void> {
    const s = this.#s;
    const w = this.#written;
    const remove = (table: string, ids: readonly (string | number)[], type: "text" | "integer" = "text") =>
      this.#pool.query(`DELETE FROM ${s}."${table}" WHERE id = ANY($1::${type}[])`, [ids]);
    await remove("Organisation", w.organisations);
    await remove("User", w.users, "integer");
    await remove("TeamGlobalSettings", w.teamSettings);
    await remove("OrganisationClaim", w.claims);
    await remove("OrganisationGlobalSettings", w.settings);
    await remove("OrganisationAuthenticationPortal", w.portals);
  }
}
