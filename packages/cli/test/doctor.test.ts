/**
 * `tokengate doctor`, run as a user would (the real binary in a child process): on Documenso's
 * tables it prints the layout, the counts and one resolved lookup and exits 0; on a database it
 * cannot serve it exits 1 with the reason, before any server would have started.
 */
import { documensoTokenFormat } from "@tokengate/core";
import {
  DocumensoRows,
  describeWithServices,
  dropSchema,
  loadDocumensoSchema,
  postgresUrl,
  uniqueSchema,
} from "@tokengate/test-support";
import pg from "pg";
import { runTokengate } from "./cli-process";

const inSchema = (schema: string) => `${postgresUrl}${postgresUrl.includes("?") ? "&" : "?"}schema=${schema}`;

describeWithServices(["postgres"], "tokengate doctor", () => {
  let pool: pg.Pool;
  const schemas: string[] = [];
  const schema = async (layout?: "organisations" | "teams") => {
    const name = uniqueSchema("tg_cli_doctor");
    schemas.push(name);
    if (layout) await loadDocumensoSchema(pool, name, layout);
    else await pool.query(`CREATE SCHEMA "${name}"`);
    return name;
  };

  beforeAll(() => {
    pool = new pg.Pool({ connectionString: postgresUrl, max: 2 });
  });
  afterAll(async () => {
    if (!pool) return;
    for (const name of schemas) await dropSchema(pool, name);
    await pool.end();
  });

  it("on Documenso's tables: the layout, what it sees, one lookup, exit 0", async () => {
    const name = await schema("organisations");
    const rows = new DocumensoRows(pool, name);
    const olga = await rows.createUser({ name: "Olga" });
    const acme = await rows.createOrganisation({ ownerUserId: olga.userId, name: "Acme" });
    const legal = await rows.createTeam({ organisationId: acme, name: "Acme legal" });
    const max = await rows.createUser({ name: "Max" });
    await rows.setTeamRole(legal, max.userId, "MANAGER");
    await rows.createApiToken({
      token: documensoTokenFormat.generate(),
      name: "personal",
      userId: olga.userId,
      teamId: olga.personalTeamId,
    });
    const newest = await rows.createApiToken({
      token: documensoTokenFormat.generate(),
      name: "ci",
      userId: max.userId,
      teamId: legal,
    });

    const result = await runTokengate(["doctor", "--documenso", "--store", inSchema(name)]);
    expect(result).toMatchObject({ code: 0, stderr: "" });
    expect(result.stdout.split("\n")).toEqual([
      expect.stringMatching(new RegExp(`^database +postgres://.*\\(schema ${name}\\)$`)),
      "layout       organisations (Documenso 1.12 and later: roles from organisation groups)",
      "tokens       2",
      "teams        3",
      "team tokens  managed by ADMIN, MANAGER",
      `lookup       ok: the newest token, ${newest}, acts as user ${max.userId} in team ${legal} (role MANAGER)`,
      "tokengate can serve this database.",
      "",
    ]);
    expect(result.stdout).not.toMatch(/[0-9a-f]{128}/);
  });

  it("on the tables of Documenso before organisations: the team layout", async () => {
    const result = await runTokengate(["doctor", "--documenso", "--store", inSchema(await schema("teams"))]);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain("layout       teams (Documenso before 1.12: roles from TeamMember)\n");
    expect(result.stdout).toContain("lookup       ok (no tokens yet; an unknown token finds nothing)\n");
  });

  it("on a database without Documenso's tables: exit 1 and what is missing", async () => {
    const name = await schema();
    const result = await runTokengate(["doctor", "--documenso", "--store", inSchema(name)]);
    expect(result.code).toBe(1);
    expect(result.stderr).toBe(
      `error: tokengate cannot serve this database: schema "${name}" is not a Documenso database tokengate ` +
        `can read: expected Documenso's tables (organisation layout, Documenso 1.12 and later), but it is ` +
        `missing "ApiToken", "User", "Team", "Organisation", "OrganisationMember", "OrganisationGroupMember", "TeamGroup"\n`,
    );
  });

  it("when the database does not answer: exit 1 with the driver's reason", async () => {
    const closed = new URL(postgresUrl);
    closed.port = "1";
    const result = await runTokengate(["doctor", "--documenso", "--store", closed.toString()]);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/^error: tokengate cannot serve this database: connect ECONNREFUSED .*\n$/);
  });

  it("--documenso needs a postgres:// store: exit 2", async () => {
    const result = await runTokengate(["doctor", "--documenso", "--store", "memory"]);
    expect(result.code).toBe(2);
    expect(result.stderr).toBe(
      "error: doctor --documenso needs --store postgres://… (Documenso's database)\n",
    );
  });

  it("on tokengate's own store: a lookup, or the missing tables named", async () => {
    const name = await schema();
    const missing = await runTokengate(["doctor", "--store", inSchema(name)]);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(
      new RegExp(`^error: no tokengate tables in postgres://.*\\(schema ${name}\\)`),
    );
    expect((await runTokengate(["migrate", "--store", inSchema(name)])).code).toBe(0);
    const ready = await runTokengate(["doctor", "--store", inSchema(name)]);
    expect(ready.code).toBe(0);
    expect(ready.stdout).toContain(
      "lookup       ok (an unknown token finds nothing)\ntokengate can serve this store.\n",
    );
  });
});
