/**
 * Documenso mode against Documenso's own tables, case by case, each compared with what Documenso
 * itself answers. Rows are written the way Documenso's code writes them (tests/support/documenso/rows.ts), and
 * tokengate is set up exactly as the README documents: `openDocumenso(pool)`, then
 * `createTokenGate({ store, directory })`, with no other option (but a silent logger).
 * One file, longer than most: every case reads one seeded world, and the README check compares the
 * table those cases fill.
 *
 * By default the tables are the fixture (tests/support/documenso/organisations.sql) in a schema of its own. Set
 * TOKENGATE_TEST_DOCUMENSO_URL to a database that Documenso's own migrations built (schema
 * `public`, or `?schema=NAME`) and the same cases run there; the rows they add are removed after.
 *
 * "What Documenso answers" is read from Documenso's code (v2.17.0): the v1 API's authentication
 * (packages/api/v1/middleware/authenticated.ts: `Bearer ` split, case-sensitive, or the raw token)
 * over the lookup (packages/lib/server-only/public-api/get-api-token-by-token.ts: by SHA-512 hex;
 * 401 when unknown, when the creator or the organisation's owner is disabled, when expired; a
 * token with no creator acts as the organisation's owner; membership is never looked at).
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import {
  type AdminCall,
  createTokenGate,
  documensoTokenFormat,
  sha512Digester,
  silentLogger,
  storeLookup,
  type TokenGate,
  TokenVerifier,
} from "@tokengate/core";
import {
  type CreatedUser,
  DocumensoRows,
  describeWithServices,
  documensoHash,
  dropSchema,
  loadDocumensoSchema,
  postgresUrl,
  uniqueSchema,
} from "@tokengate/test-support";
import { Pool } from "pg";
import { openDocumenso } from "../src/index";

const REAL_URL = process.env.TOKENGATE_TEST_DOCUMENSO_URL;

/** Where the cases run: a database Documenso's migrations built, or the fixture in a fresh schema. */
function target(): { url: string; schema: string; fixture: boolean } {
  if (!REAL_URL) return { url: postgresUrl, schema: uniqueSchema("tg_documenso"), fixture: true };
  const url = new URL(REAL_URL);
  const schema = url.searchParams.get("schema") ?? "public";
  url.searchParams.delete("schema");
  return { url: url.toString(), schema, fixture: false };
}

const DAY = 24 * 3600_000;
/** A `timestamp(3)` literal in UTC, as Prisma writes a JS Date. */
const utc = (ms: number) => new Date(ms).toISOString().replace("T", " ").replace("Z", "");
const fresh = () => documensoTokenFormat.generate();

/** The rows every case reads, written once, in Documenso's way. */
interface World {
  olga: CreatedUser; // owns the Acme organisation
  ada: CreatedUser; // ADMIN of Acme legal
  max: CreatedUser; // MANAGER of Acme legal
  mel: CreatedUser; // MEMBER of Acme legal
  noPersonal: number; // a user without a personal organisation (SSO-provisioned)
  acmeLegal: number;
  tokens: Record<string, string>;
}

async function seed(pool: Pool, rows: DocumensoRows, schema: string): Promise<World> {
  const s = `"${schema}"`;
  const olga = await rows.createUser({ name: "Olga" });
  const acme = await rows.createOrganisation({ ownerUserId: olga.userId, name: "Acme" });
  const acmeLegal = await rows.createTeam({ organisationId: acme, name: "Acme legal" });
  const member = async (name: string, role: "ADMIN" | "MANAGER" | "MEMBER") => {
    const user = await rows.createUser({ name });
    await rows.setTeamRole(acmeLegal, user.userId, role);
    return user;
  };
  const ada = await member("Ada", "ADMIN");
  const max = await member("Max", "MANAGER");
  const mel = await member("Mel", "MEMBER");
  const dem = await member("Dem", "MANAGER");
  const dis = await member("Dis", "MANAGER");
  const lea = await member("Lea", "MANAGER");
  const del = await member("Del", "MANAGER");

  // Globex's owner will be disabled: every token of its teams stops, whoever made it.
  const gus = await rows.createUser({ name: "Gus" });
  const globex = await rows.createOrganisation({ ownerUserId: gus.userId, name: "Globex" });
  const globexOps = await rows.createTeam({ organisationId: globex, name: "Globex ops" });
  const mia = await rows.createUser({ name: "Mia" });
  await rows.setTeamRole(globexOps, mia.userId, "ADMIN");

  const noPersonal = await rows.createUserWithoutOrganisation("Sam");

  const tokens: Record<string, string> = {};
  const issue = async (key: string, userId: number | null, teamId: number, expires: string | null = null) => {
    tokens[key] = fresh();
    return rows.createApiToken({ token: tokens[key], name: key, userId, teamId, expires });
  };
  await issue("personal", ada.userId, ada.personalTeamId);
  await issue("admin", ada.userId, acmeLegal);
  await issue("manager", max.userId, acmeLegal, utc(Date.now() + 30 * DAY));
  await issue("demoted", dem.userId, acmeLegal);
  await issue("expired", ada.userId, acmeLegal, utc(Date.now() - DAY));
  await issue("disabled", dis.userId, acmeLegal);
  const deleted = await issue("deleted", ada.userId, acmeLegal);
  await issue("accountDeleted", del.userId, acmeLegal);
  await issue("legacy", null, acmeLegal);
  await issue("ownerDisabled", mia.userId, globexOps);
  await issue("formerMember", lea.userId, acmeLegal);
  tokens.neverIssued = fresh();

  // What happens after issue, as Documenso does it.
  await rows.setTeamRole(acmeLegal, dem.userId, "MEMBER"); // update-team-member.ts
  await rows.setDisabled(dis.userId, true); // packages/lib/server-only/user/disable-user.ts
  await pool.query(`DELETE FROM ${s}."ApiToken" WHERE id = $1 AND "teamId" = $2`, [deleted, acmeLegal]); // delete-api-token-by-id.ts
  await pool.query(`DELETE FROM ${s}."User" WHERE id = $1`, [del.userId]); // delete-user.ts: the row cascades
  await rows.setDisabled(gus.userId, true);
  await rows.leaveOrganisation(acme, lea.userId); // leave-organisation.ts: tokens stay

  return { olga, ada, max, mel, noPersonal, acmeLegal, tokens };
}

/** One row of the README's table "tokengate vs Documenso, case by case". */
interface Case {
  readonly name: string;
  /** The Authorization header. */
  readonly header: (tokens: Record<string, string>) => string;
  /** What Documenso answers (see the file header for where that is read from). */
  readonly documenso: 200 | 401;
  /** What tokengate answers with the README's setup, where it differs from Documenso on purpose. */
  readonly tokengate?: 200 | 401;
}

const bearer = (key: string) => (tokens: Record<string, string>) => `Bearer ${tokens[key]}`;

const VERIFY_CASES: readonly Case[] = [
  { name: "personal token", header: bearer("personal"), documenso: 200 },
  { name: "team token made by an ADMIN", header: bearer("admin"), documenso: 200 },
  { name: "team token made by a MANAGER", header: bearer("manager"), documenso: 200 },
  { name: "made by a MANAGER later demoted to MEMBER", header: bearer("demoted"), documenso: 200 },
  { name: "expired", header: bearer("expired"), documenso: 401 },
  { name: "creator disabled", header: bearer("disabled"), documenso: 401 },
  { name: "token deleted", header: bearer("deleted"), documenso: 401 },
  { name: "creator's account deleted", header: bearer("accountDeleted"), documenso: 401 },
  { name: "never expires", header: bearer("admin"), documenso: 200 },
  { name: "legacy token, `userId` NULL", header: bearer("legacy"), documenso: 200 },
  { name: "organisation owner disabled", header: bearer("ownerDisabled"), documenso: 401 },
  { name: "never issued", header: bearer("neverIssued"), documenso: 401 },
  { name: "raw `Authorization: api_…`, no `Bearer`", header: (t) => t.personal!, documenso: 200 },
  // Documenso's lookup never reads the membership; tokengate ends a former member's team tokens.
  { name: "creator left the organisation", header: bearer("formerMember"), documenso: 200, tokengate: 401 },
  // Documenso splits on "Bearer " exactly; RFC 7235 makes the scheme case-insensitive.
  {
    name: "scheme in lower case, `bearer api_…`",
    header: (t) => `bearer ${t.admin}`,
    documenso: 401,
    tokengate: 200,
  },
];

/** Admin rows: what Documenso's UI does (its cell, verbatim) and the admin router's status. */
interface AdminCase {
  readonly name: string;
  readonly documenso: string;
  readonly tokengate: number;
}

// Documenso: packages/lib/server-only/public-api/create-api-token.ts and get-api-tokens.ts (team
// roles in MANAGE_TEAM, packages/lib/constants/teams.ts; a refusal is AppError UNAUTHORIZED, 401).
const ADMIN_CASES = {
  adminCreates: { name: "create a team token as an ADMIN", documenso: "created", tokengate: 201 },
  managerCreates: { name: "create a team token as a MANAGER", documenso: "created", tokengate: 201 },
  memberCreates: { name: "create a team token as a MEMBER", documenso: "refused, 401", tokengate: 403 },
  personalCreate: {
    name: "create a personal token (no `teamId`)",
    documenso: "created in the personal team",
    tokengate: 201,
  },
  personalList: {
    name: "list personal tokens (no `teamId`)",
    documenso: "the personal team's list",
    tokengate: 200,
  },
  noPersonalTeam: {
    name: "create a personal token, user without a personal organisation",
    documenso: "no such request",
    tokengate: 400,
  },
} as const satisfies Record<string, AdminCase>;

/** The README's table, row by row: case → [Documenso cell, tokengate cell]. */
function readmeTable(): Map<string, [string, string]> {
  const readme = readFileSync(join(__dirname, "..", "..", "..", "README.md"), "utf8");
  const start = readme.indexOf("tokengate vs Documenso, case by case");
  expect(start).toBeGreaterThan(-1);
  const section = readme.slice(start).split(/\n#+ /)[0]!;
  const table = new Map<string, [string, string]>();
  for (const line of section.split("\n")) {
    const cells = line.split(/(?<!\\)\|/).map((c) => c.trim());
    if (cells.length < 5 || cells[1] === "case" || /^-+$/.test(cells[1]!)) continue;
    table.set(cells[1]!, [cells[2]!, cells[3]!]);
  }
  return table;
}

/** A digest of every table's rows: Documenso's data must not change under tokengate's reads. */
async function snapshot(pool: Pool, schema: string): Promise<Record<string, string>> {
  const { rows: tables } = await pool.query<{ name: string }>(
    `SELECT table_name AS name FROM information_schema.tables
     WHERE table_schema = $1 AND table_type = 'BASE TABLE' ORDER BY 1`,
    [schema],
  );
  const digests: Record<string, string> = {};
  for (const { name } of tables) {
    const { rows } = await pool.query<{ d: string | null }>(
      `SELECT md5(string_agg(t::text, '|' ORDER BY t::text)) AS d FROM "${schema}"."${name}" t`,
    );
    digests[name] = rows[0]?.d ?? "empty";
  }
  return digests;
}

const statusOf = async (gate: TokenGate, authorization: string) => {
  const outcome = await gate.verifier.verify({ authorization });
  return outcome.ok ? 200 : outcome.answer.status;
};

describeWithServices(
  ["postgres"],
  `Documenso mode on Documenso's tables (${REAL_URL ? "TOKENGATE_TEST_DOCUMENSO_URL" : "fixture"})`,
  () => {
    const where = target();
    const originalTz = process.env.TZ;
    let pool: Pool;
    let rows: DocumensoRows;
    let world: World;
    let gate: TokenGate;
    let before: Record<string, string>;

    beforeAll(async () => {
      // Prisma keeps UTC in `timestamp without time zone`: a client and a server far from UTC must
      // not shift expiry times.
      process.env.TZ = "America/New_York";
      pool = new Pool({ connectionString: where.url, max: 3, options: "-c TimeZone=Asia/Tokyo" });
      if (where.fixture) await loadDocumensoSchema(pool, where.schema);
      rows = new DocumensoRows(pool, where.schema);
      world = await seed(pool, rows, where.schema);
      // The README's setup, nothing more.
      const { store, directory } = await openDocumenso(pool, { schema: where.schema });
      gate = createTokenGate({ store, directory, logger: silentLogger });
      before = await snapshot(pool, where.schema);
    });

    afterAll(async () => {
      if (originalTz === undefined) delete process.env.TZ;
      else process.env.TZ = originalTz;
      await gate?.close();
      if (pool) {
        if (where.fixture) await dropSchema(pool, where.schema);
        else await rows.removeWritten();
        await pool.end();
      }
    });

    describe("every case gives Documenso's status, or the README's documented difference", () => {
      for (const c of VERIFY_CASES) {
        it(c.name, async () => {
          expect(await statusOf(gate, c.header(world.tokens))).toBe(c.tokengate ?? c.documenso);
        });
      }
    });

    it("the README's table shows exactly these cases and statuses", async () => {
      const table = readmeTable();
      const expected = [
        ...VERIFY_CASES.map((c) => [c.name, String(c.documenso), String(c.tokengate ?? c.documenso)]),
        ...Object.values(ADMIN_CASES).map((c) => [c.name, c.documenso, String(c.tokengate)]),
      ];
      expect([...table.keys()].sort()).toEqual(expected.map(([name]) => name!).sort());
      for (const [name, documenso, tokengate] of expected) {
        const [readmeDocumenso, readmeTokengate] = table.get(name!)!;
        expect({ name, documenso: readmeDocumenso, tokengate: readmeTokengate }).toEqual({
          name,
          documenso,
          tokengate,
        });
      }
    });

    it("a personal token acts as its user, in the personal organisation's team", async () => {
      const outcome = await gate.verifier.verify({ authorization: `Bearer ${world.tokens.personal}` });
      expect(outcome.ok && outcome.identity).toMatchObject({
        userId: world.ada.userId,
        teamId: world.ada.personalTeamId,
        team: { id: world.ada.personalTeamId, name: "Personal Team", ownerUserId: world.ada.userId },
        user: { name: "Ada" },
      });
    });

    it("a legacy token with no creator acts as the organisation's owner", async () => {
      const outcome = await gate.verifier.verify({ authorization: `Bearer ${world.tokens.legacy}` });
      expect(outcome.ok && outcome.identity).toMatchObject({
        userId: world.olga.userId,
        teamId: world.acmeLegal,
        team: { name: "Acme legal", ownerUserId: world.olga.userId },
      });
    });

    it("formerMemberTokens: \"accept\" gives Documenso's answer for a former member's token", async () => {
      const { store, directory } = await openDocumenso(pool, { schema: where.schema });
      const lenient = createTokenGate({
        store,
        directory,
        logger: silentLogger,
        formerMemberTokens: "accept",
      });
      try {
        expect(await statusOf(lenient, `Bearer ${world.tokens.formerMember}`)).toBe(200);
        expect(await statusOf(lenient, `Bearer ${world.tokens.ownerDisabled}`)).toBe(401);
      } finally {
        await lenient.close();
      }
    });

    it("verifying changed no Documenso row", async () => {
      for (const c of VERIFY_CASES) await statusOf(gate, c.header(world.tokens));
      expect(await snapshot(pool, where.schema)).toEqual(before);
    });

    describe("the admin router writes tokens Documenso finds and lists", () => {
      const call = (
        actorUserId: number,
        operation: "create" | "list",
        value?: unknown,
        query = "",
      ): AdminCall => ({
        operation,
        query,
        actorUserId,
        scheme: "http",
        header: () => undefined,
        contentType: "application/json",
        body: value === undefined ? { kind: "absent" } : { kind: "parsed", value },
      });
      const create = async (actor: number, value: unknown) => {
        const answer = await gate.admin.handle(call(actor, "create", value));
        return { status: answer.status, body: JSON.parse(answer.body ?? "null") };
      };

      // Documenso's lookup, as getApiTokenByToken's query reads it: by SHA-512 hex of the token,
      // with the team's organisation and its owner.
      const documensoLookup = async (token: string) =>
        (
          await pool.query(
            `SELECT a.id, a."userId", a."teamId", o."ownerUserId"
           FROM "${where.schema}"."ApiToken" a JOIN "${where.schema}"."Team" t ON t.id = a."teamId"
           JOIN "${where.schema}"."Organisation" o ON o.id = t."organisationId" WHERE a.token = $1`,
            [documensoHash(token)],
          )
        ).rows[0];

      // Documenso's list for a team, as getApiTokens reads it: the team's tokens, for a user who
      // reaches the team through a group with an ADMIN or MANAGER team role.
      const documensoList = async (teamId: number, userId: number) =>
        (
          await pool.query<{ id: number }>(
            `SELECT a.id FROM "${where.schema}"."ApiToken" a
           WHERE a."teamId" = $1 AND EXISTS (
             SELECT 1 FROM "${where.schema}"."TeamGroup" tg
             JOIN "${where.schema}"."OrganisationGroupMember" gm ON gm."groupId" = tg."organisationGroupId"
             JOIN "${where.schema}"."OrganisationMember" om ON om.id = gm."organisationMemberId"
             WHERE tg."teamId" = a."teamId" AND om."userId" = $2 AND tg."teamRole" IN ('ADMIN', 'MANAGER'))
           ORDER BY a."createdAt" DESC`,
            [teamId, userId],
          )
        ).rows.map((r) => r.id);

      it("team tokens: an ADMIN and a MANAGER create them, a MEMBER cannot", async () => {
        const byAdmin = await create(world.ada.userId, { tokenName: "ci by ada", teamId: world.acmeLegal });
        const byManager = await create(world.max.userId, { tokenName: "ci by max", teamId: world.acmeLegal });
        const byMember = await create(world.mel.userId, { tokenName: "ci by mel", teamId: world.acmeLegal });
        expect(byAdmin.status).toBe(ADMIN_CASES.adminCreates.tokengate);
        expect(byManager.status).toBe(ADMIN_CASES.managerCreates.tokengate);
        expect(byMember.status).toBe(ADMIN_CASES.memberCreates.tokengate);

        for (const [created, creator] of [
          [byAdmin.body, world.ada.userId],
          [byManager.body, world.max.userId],
        ] as const) {
          expect(await documensoLookup(created.token)).toEqual({
            id: created.id,
            userId: creator,
            teamId: world.acmeLegal,
            ownerUserId: world.olga.userId,
          });
          expect(await documensoList(world.acmeLegal, world.max.userId)).toContain(created.id);
          expect(await statusOf(gate, `Bearer ${created.token}`)).toBe(200);
        }
      });

      it("personal tokens: created in, and listed from, the personal organisation's team", async () => {
        const created = await create(world.ada.userId, { tokenName: "laptop", expirationDate: "90d" });
        expect(created.status).toBe(ADMIN_CASES.personalCreate.tokengate);
        expect(await documensoLookup(created.body.token)).toMatchObject({
          id: created.body.id,
          userId: world.ada.userId,
          teamId: world.ada.personalTeamId,
        });
        // Documenso's own tokens page for the personal team lists it.
        expect(await documensoList(world.ada.personalTeamId, world.ada.userId)).toContain(created.body.id);

        const listed = await gate.admin.handle(call(world.ada.userId, "list"));
        expect(listed.status).toBe(ADMIN_CASES.personalList.tokengate);
        const names = (
          JSON.parse(listed.body!).tokens as Array<{ id: number; name: string; teamId: number }>
        ).map((t) => [t.name, t.teamId]);
        // The personal team's tokens: the one Documenso issued and the one just made, nothing else.
        expect(names.sort()).toEqual([
          ["laptop", world.ada.personalTeamId],
          ["personal", world.ada.personalTeamId],
        ]);
        expect(await statusOf(gate, `Bearer ${created.body.token}`)).toBe(200);
      });

      it("a personal token for a user with no personal organisation is a 400 naming teamId", async () => {
        const refused = await create(world.noPersonal, { tokenName: "sso user" });
        expect(refused.status).toBe(ADMIN_CASES.noPersonalTeam.tokengate);
        expect(refused.body).toMatchObject({ error: "validation_failed", issues: [{ field: "teamId" }] });
        expect(refused.body.message).toMatch(/^teamId: .*personal organisation/);
      });

      it("creating tokens changed no Documenso row but the ApiToken rows it added", async () => {
        const after = await snapshot(pool, where.schema);
        const { ApiToken: _before, ...untouchedBefore } = before;
        const { ApiToken: _after, ...untouchedAfter } = after;
        expect(untouchedAfter).toEqual(untouchedBefore);
        // ApiToken: the rows that were there are unchanged, the new ones are exactly the three made above.
        const made = ["ci by ada", "ci by max", "ci by mel", "laptop", "sso user"];
        const { rows: kept } = await pool.query<{ d: string | null }>(
          `SELECT md5(string_agg(t::text, '|' ORDER BY t::text)) AS d FROM "${where.schema}"."ApiToken" t
           WHERE NOT (name = ANY($1::text[]))`,
          [made],
        );
        expect(kept[0]?.d ?? "empty").toBe(before.ApiToken);
        const { rows: added } = await pool.query<{ name: string }>(
          `SELECT name FROM "${where.schema}"."ApiToken" WHERE name = ANY($1::text[]) ORDER BY name`,
          [made],
        );
        expect(added.map((r) => r.name)).toEqual(["ci by ada", "ci by max", "laptop"]);
      });

      it("a personal token rotates and is deleted through the router, as Documenso sees it", async () => {
        const listed = await gate.admin.handle(call(world.ada.userId, "list"));
        const laptop = (JSON.parse(listed.body!).tokens as Array<{ id: number; name: string }>).find(
          (t) => t.name === "laptop",
        )!;
        const rotated = await gate.admin.handle({
          ...call(world.ada.userId, "create", {}),
          operation: "rotate",
          id: String(laptop.id),
        });
        expect(rotated.status).toBe(201);
        const successor = JSON.parse(rotated.body!) as { id: number; token: string };
        expect(await documensoLookup(successor.token)).toMatchObject({
          id: successor.id,
          teamId: world.ada.personalTeamId,
        });
        expect(await documensoList(world.ada.personalTeamId, world.ada.userId)).not.toContain(laptop.id);

        const deleted = await gate.admin.handle({
          ...call(world.ada.userId, "list"),
          operation: "delete",
          id: String(successor.id),
        });
        expect(deleted.status).toBe(204);
        expect(await documensoLookup(successor.token)).toBeUndefined();
        expect(await statusOf(gate, `Bearer ${successor.token}`)).toBe(401);
      });
    });

    it("`expires` is read as UTC whatever the client's and the server's zones", async () => {
      let now = new Date("2025-06-01T00:29:59.999Z");
      const token = fresh();
      await rows.createApiToken({
        token,
        name: "expires soon",
        userId: world.ada.userId,
        teamId: world.acmeLegal,
        expires: "2025-06-01 00:30:00",
      });
      const { store, directory } = await openDocumenso(pool, { schema: where.schema });
      const verifier = new TokenVerifier({
        lookup: storeLookup(store, directory),
        digesters: [sha512Digester],
        formats: [documensoTokenFormat],
        clock: () => now,
        realm: "api",
        logger: silentLogger,
      });
      expect((await verifier.verify({ authorization: `Bearer ${token}` })).ok).toBe(true);
      now = new Date("2025-06-01T00:30:00Z");
      const outcome = await verifier.verify({ authorization: `Bearer ${token}` });
      expect(outcome.ok ? "ok" : outcome.error.code).toBe("token_expired");
      expect((await store.findByDigest(documensoHash(token)))?.expiresAt?.toISOString()).toBe(
        "2025-06-01T00:30:00.000Z",
      );
    });
  },
);
