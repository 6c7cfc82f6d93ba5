/**
 * The CLI on PostgreSQL: `migrate` creates the tables in a schema of its own, `serve` seeds and
 * serves from them, and a revocation from another process holds on the next request.
 */

import { describeWithServices, postgresUrl } from "@tokengate/test-support";
import pg from "pg";
import { printedCommands, runShell, runTokengate, type ServeProcess, startServe } from "./cli-process";

// One schema per run, so parallel workers and other suites never share tables.
const schema = `tg_cli_${process.pid}_${Date.now().toString(36)}`;
const store = `${postgresUrl}${postgresUrl.includes("?") ? "&" : "?"}schema=${schema}`;

describeWithServices(["postgres"], "tokengate on PostgreSQL", () => {
  let server: ServeProcess | undefined;

  afterAll(async () => {
    await server?.stop();
    const pool = new pg.Pool({ connectionString: postgresUrl });
    await pool.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`).catch(() => undefined);
    await pool.end();
  });

  it("migrates, serves the demo, and a revocation from another process holds at once", async () => {
    const migrated = await runTokengate(["migrate", "--store", store]);
    expect(migrated.code).toBe(0);
    expect(migrated.stdout).toContain(`(schema ${schema})`);
    // Idempotent: a second deploy runs it again.
    expect((await runTokengate(["migrate", "--store", store])).code).toBe(0);

    server = await startServe(["--framework", "koa", "--port", "0", "--store", store]);
    expect(server.banner).toContain("seeded the demo users and teams");

    const script = `${printedCommands(server.banner)}\nprintf '%s' "$TOKEN" >&2`;
    const first = await runShell(script);
    const me = JSON.parse(first.stdout) as { userId: number; tokenId: number };
    expect(me.userId).toBe(1);
    const token = first.stderr.split("\n").pop()!;

    // The operator may mint a team token for any member: bob is a MEMBER of acme.
    const created = await runTokengate([
      "token",
      "create",
      "--user",
      "2",
      "--team",
      "1",
      "--name",
      "ci deploy",
      "--store",
      store,
    ]);
    expect(created.code).toBe(0);
    expect(created.stdout).toMatch(/^api_[0-9a-z]{16}\n$/);
    const team = await runTokengate(["token", "list", "--team", "1", "--store", store]);
    expect(team.stdout).toMatch(/ ci deploy +1 +active +never +never/);

    expect(await runTokengate(["token", "revoke", String(me.tokenId), "--store", store])).toMatchObject({
      code: 0,
    });
    const meLine = printedCommands(server.banner).split("\n").pop()!;
    const after = await runShell(meLine, { TOKEN: token });
    expect(JSON.parse(after.stdout)).toMatchObject({ error: "invalid_token" });
  });

  it("fails with exit 1 and no password in the message when the database refuses", async () => {
    const wrong = new URL(postgresUrl);
    wrong.username = "no_such_role_tokengate";
    wrong.password = "s3cret-pw";
    const result = await runTokengate(["migrate", "--store", wrong.toString()]);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/^error: /);
    expect(result.stderr).not.toContain("s3cret-pw");
  });
});
