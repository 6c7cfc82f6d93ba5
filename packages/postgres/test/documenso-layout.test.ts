/**
 * Documenso mode at start-up and at the edges: which layout `openDocumenso` finds, the one error it
 * gives for a schema it cannot read (never a 503 on every request later), constraint refusals that
 * name the field and never the digest, and the pre-organisation layout served end to end.
 */
import {
  createTokenGate,
  documensoTokenFormat,
  type StoreConstraintError,
  silentLogger,
} from "@tokengate/core";
import {
  DocumensoRows,
  describeWithServices,
  documensoHash,
  dropSchema,
  loadDocumensoSchema,
  postgresUrl,
  uniqueSchema,
} from "@tokengate/test-support";
import { Pool } from "pg";
import { DocumensoSchemaError, detectDocumensoLayout, openDocumenso } from "../src/index";

describeWithServices(["postgres"], "Documenso mode: layouts, start-up errors, refused rows", () => {
  let pool: Pool;
  const schemas: string[] = [];
  const schemaWith = async (layout?: "organisations" | "teams") => {
    const schema = uniqueSchema("tg_doc_layout");
    schemas.push(schema);
    if (layout) await loadDocumensoSchema(pool, schema, layout);
    else await pool.query(`CREATE SCHEMA "${schema}"`);
    return schema;
  };

  beforeAll(() => {
    pool = new Pool({ connectionString: postgresUrl, max: 3 });
  });
  afterAll(async () => {
    if (!pool) return;
    for (const schema of schemas) await dropSchema(pool, schema);
    await pool.end();
  });

  it("finds the organisation layout and the team layout before it", async () => {
    expect(await detectDocumensoLayout(pool, await schemaWith("organisations"))).toBe("organisations");
    expect(await detectDocumensoLayout(pool, await schemaWith("teams"))).toBe("teams");
    const opened = await openDocumenso(pool, { schema: await schemaWith("teams") });
    expect([opened.layout, opened.store.layout, opened.directory.layout]).toEqual([
      "teams",
      "teams",
      "teams",
    ]);
    // Documenso before organisations let only a team ADMIN create team tokens.
    expect(opened.directory.teamTokenRoles).toEqual(["ADMIN"]);
  });

  it("refuses a schema without Documenso's tables at start-up, naming what is missing", async () => {
    const schema = await schemaWith();
    const error = await openDocumenso(pool, { schema }).then(
      () => null,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(DocumensoSchemaError);
    expect((error as DocumensoSchemaError).message).toBe(
      `schema "${schema}" is not a Documenso database tokengate can read: expected Documenso's tables ` +
        `(organisation layout, Documenso 1.12 and later), but it is missing "ApiToken", "User", "Team", ` +
        `"Organisation", "OrganisationMember", "OrganisationGroupMember", "TeamGroup"`,
    );
  });

  it("names the one column a changed schema lacks, in either layout", async () => {
    const organisations = await schemaWith("organisations");
    await pool.query(`ALTER TABLE "${organisations}"."TeamGroup" RENAME COLUMN "teamRole" TO "role"`);
    await expect(detectDocumensoLayout(pool, organisations)).rejects.toMatchObject({
      name: "DocumensoSchemaError",
      missing: ['"TeamGroup"."teamRole"'],
    });
    const teams = await schemaWith("teams");
    await pool.query(`ALTER TABLE "${teams}"."User" DROP COLUMN disabled`);
    await expect(detectDocumensoLayout(pool, teams)).rejects.toMatchObject({
      missing: ['"User"."disabled"'],
      message: expect.stringContaining("pre-organisation team tables"),
    });
  });

  it("a row Documenso's constraints refuse names the field and never the digest", async () => {
    const schema = await schemaWith("organisations");
    const rows = new DocumensoRows(pool, schema);
    const ada = await rows.createUser({ name: "Ada" });
    const { store } = await openDocumenso(pool, { schema });
    const digest = documensoHash(documensoTokenFormat.generate());
    const row = {
      name: "ci",
      digest,
      algorithm: "SHA512",
      userId: ada.userId,
      teamId: ada.personalTeamId,
      createdAt: new Date(),
      expiresAt: null,
      scopes: [],
    };
    const refusal = (overrides: object) =>
      store.insert({ ...row, ...overrides }).then(
        () => null,
        (e: unknown) => e as StoreConstraintError,
      );
    for (const [overrides, field, message] of [
      [{ teamId: 987_654 }, "teamId", "no such team"],
      [{ userId: 987_654 }, "userId", "no such user"],
      [{ userId: 987_654, teamId: null }, "teamId", expect.stringContaining("personal organisation")],
    ] as const) {
      const error = await refusal(overrides);
      expect(error).toMatchObject({ name: "StoreConstraintError", field, message });
      expect(JSON.stringify(error) + String(error?.message) + String(error?.stack)).not.toContain(digest);
      expect((error as { cause?: unknown }).cause).toBeUndefined();
    }
    expect(await store.findByDigest(digest)).toBeNull();
  });

  it("the pre-organisation layout: personal tokens have no team, roles are TeamMember rows", async () => {
    const schema = await schemaWith("teams");
    const s = `"${schema}"`;
    const plain = { personal: documensoTokenFormat.generate(), legacy: documensoTokenFormat.generate() };
    await pool.query(`
      INSERT INTO ${s}."User" (id, name, email) VALUES (1, 'Ada', 'ada@example.com'), (2, 'Olga', 'olga@example.com'),
        (3, 'Max', 'max@example.com');
      INSERT INTO ${s}."Team" (id, name, url, "ownerUserId") VALUES (10, 'Acme', 'acme', 2);
      INSERT INTO ${s}."TeamMember" ("teamId", "userId", role) VALUES (10, 2, 'ADMIN'), (10, 3, 'MANAGER')`);
    const insert = `INSERT INTO ${s}."ApiToken" (name, token, "userId", "teamId") VALUES ($1, $2, $3, $4)`;
    await pool.query(insert, ["personal", documensoHash(plain.personal), 1, null]);
    await pool.query(insert, ["legacy", documensoHash(plain.legacy), null, 10]);

    const { store, directory } = await openDocumenso(pool, { schema });
    const gate = createTokenGate({ store, directory, logger: silentLogger, usageFlushIntervalMs: false });
    const personal = await gate.verifier.verify({ authorization: `Bearer ${plain.personal}` });
    expect(personal.ok && personal.identity).toMatchObject({ userId: 1, teamId: null });
    const legacy = await gate.verifier.verify({ authorization: plain.legacy });
    expect(legacy.ok && legacy.identity).toMatchObject({ userId: 2, teamId: 10, team: { ownerUserId: 2 } });

    // Only a team ADMIN creates team tokens in this layout; personal ones have no team.
    const manager = await gate.service.create(
      { kind: "user", userId: 3 },
      { tokenName: "ci bot", teamId: 10 },
    );
    expect(manager.ok ? "created" : manager.error.code).toBe("forbidden");
    const created = await gate.service.create({ kind: "user", userId: 1 }, { tokenName: "laptop" });
    expect(created.ok).toBe(true);
    const listed = await gate.service.list({ kind: "user", userId: 1 });
    expect(listed.ok && listed.value.map((t) => [t.name, t.teamId]).sort()).toEqual([
      ["laptop", null],
      ["personal", null],
    ]);
    await gate.close();
  });
});
