/**
 * The command line itself: help on every command, one-line errors with exit 2 for bad arguments,
 * exit 1 with the field named when the service refuses, and token output fit for `$(...)`.
 */
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { runTokengate } from "./cli-process";

let dir: string;
let store: string;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "tokengate-cli-commands-"));
  store = `sqlite:${join(dir, "tokens.db")}`;
});

afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

describe("--help", () => {
  it.each([
    [[], "tokengate <command> [options]"],
    [["serve"], "tokengate serve [options]"],
    [["token"], "tokengate token <command> [options]"],
    [["token", "create"], "tokengate token create [options]"],
    [["token", "list"], "tokengate token list [options]"],
    [["token", "revoke"], "tokengate token revoke [options] <id>"],
    [["token", "rotate"], "tokengate token rotate [options] <id>"],
    [["migrate"], "tokengate migrate [options]"],
  ])("tokengate %j --help prints the usage and exits 0", async (command, usage) => {
    const result = await runTokengate([...command, "--help"]);
    expect(result.code).toBe(0);
    expect(result.stdout.split("\n")[0]).toBe(`Usage: ${usage}`);
    expect(result.stdout).toContain("--help");
  });
});

describe("bad arguments", () => {
  it.each([
    [[], "missing command"],
    [["frobnicate"], "unknown command 'frobnicate'"],
    [["token", "frobnicate"], "unknown command 'token frobnicate'"],
    [["serve", "--port", "http"], "port must be"],
    [["serve", "--framework", "rails"], "rails"],
    [["serve", "--store", "mysql://db/tokens"], "--store must be"],
    [["serve", "--no-such-option"], "unknown option"],
    [["token", "create", "--name", "ci"], "--user"],
    [["token", "create", "--user", "alice", "--name", "ci"], "--user must be a positive integer"],
    [["token", "list"], "--user <id> or --team <id>"],
    [["token", "list", "--user", "1", "--team", "1"], "cannot be used with"],
    [["token", "revoke"], "missing required argument 'id'"],
    [["token", "revoke", "12abc"], "id must be a positive integer"],
    [["token", "rotate", "1", "--grace", "soon"], "30s, 15m, 1h or 2d"],
  ])("tokengate %j exits 2 with one line on stderr", async (args, message) => {
    // None of these gets as far as opening a store; dir keeps the default one out of the repo anyway.
    const result = await runTokengate(args, dir);
    expect(result.code).toBe(2);
    expect(result.stdout).toBe("");
    expect(result.stderr).toMatch(/^error: [^\n]+\n$/);
    expect(result.stderr).toContain(message);
  });
});

describe("token commands against a store", () => {
  const tokengate = (...args: string[]) => runTokengate([...args, "--store", store]);
  let demoStore: string;

  beforeAll(async () => {
    expect((await tokengate("migrate")).code).toBe(0);
    demoStore = `sqlite:${join(dir, ".tokengate", "demo.db")}`;
    // Any command on the default store seeds the demo users, as `serve` does on its first start.
    expect((await runTokengate(["token", "list", "--user", "1"], dir)).code).toBe(0);
  });

  it("creates a token for the demo users on the default store, even before the first serve", async () => {
    const result = await runTokengate(["token", "create", "--user", "1", "--name", "before-serve"], dir);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^api_[0-9a-z]{16}\n$/);
    expect(existsSync(join(dir, ".tokengate", "demo.db"))).toBe(true);
  });

  it("prints the created token alone on stdout and never again", async () => {
    const created = await runTokengate([
      "token",
      "create",
      "--user",
      "1",
      "--team",
      "1",
      "--name",
      "deploy bot",
      "--expires",
      "ONE_WEEK",
      "--scope",
      "documents:read",
      "--scope",
      "documents:write",
      "--store",
      demoStore,
    ]);
    expect(created.code).toBe(0);
    expect(created.stdout).toMatch(/^api_[0-9a-z]{16}\n$/);
    expect(created.stderr).toMatch(/created token \d+ for team 1 as user 1; expires \d{4}-/);

    const listed = await runTokengate(["token", "list", "--team", "1", "--store", demoStore]);
    expect(listed.code).toBe(0);
    expect(listed.stdout).toMatch(/^ID +NAME +TEAM +STATUS +EXPIRES +LAST USED +SCOPES$/m);
    expect(listed.stdout).toMatch(
      / deploy bot +1 +active +\d{4}-\S+ +never +documents:read documents:write$/m,
    );
    expect(listed.stdout).not.toContain(created.stdout.trim());
    expect(listed.stdout).not.toMatch(/[0-9a-f]{128}/);
  });

  it("rotates with a grace period: the successor alone on stdout, the old one marked replaced", async () => {
    const created = await runTokengate([
      "token",
      "create",
      "--user",
      "2",
      "--name",
      "rotating",
      "--store",
      demoStore,
    ]);
    const listed = await runTokengate(["token", "list", "--user", "2", "--json", "--store", demoStore]);
    const id = (JSON.parse(listed.stdout) as { tokens: Array<{ id: number }> }).tokens[0]!.id;

    const rotated = await runTokengate([
      "token",
      "rotate",
      String(id),
      "--grace",
      "15m",
      "--store",
      demoStore,
    ]);
    expect(rotated.code).toBe(0);
    expect(rotated.stdout).toMatch(/^api_[0-9a-z]{16}\n$/);
    expect(rotated.stdout).not.toBe(created.stdout);
    expect(rotated.stderr).toMatch(
      new RegExp(`token ${id} replaced by token \\d+; token ${id} keeps working until`),
    );

    const after = await runTokengate(["token", "list", "--user", "2", "--store", demoStore]);
    expect(after.stdout).toMatch(new RegExp(`^${id} +rotating +- +active, replaced by \\d+ `, "m"));
  });

  it("names the field and the flag when the service refuses, and exits 1", async () => {
    const short = await tokengate("token", "create", "--user", "1", "--name", "ab");
    expect(short.code).toBe(1);
    expect(short.stdout).toBe("");
    expect(short.stderr).toBe("error: tokenName: The token name should be 3 characters or longer (--name)\n");

    const expiry = await tokengate(
      "token",
      "create",
      "--user",
      "1",
      "--name",
      "later",
      "--expires",
      "tomorrow",
    );
    expect(expiry.code).toBe(1);
    expect(expiry.stderr).toMatch(/^error: expirationDate: .*\(--expires\)\n$/);

    const outsider = await runTokengate(
      ["token", "create", "--user", "2", "--team", "2", "--name", "sneaky"],
      dir,
    );
    expect(outsider.code).toBe(1);
    expect(outsider.stderr).toBe("error: teamId: user 2 is not a member of team 2 (--team)\n");
  });

  it("refuses a --store file that does not exist instead of creating an empty one", async () => {
    const typo = join(dir, "tokns.db");
    const result = await runTokengate(["token", "list", "--user", "1", "--store", `sqlite:${typo}`]);
    expect(result.code).toBe(1);
    expect(result.stderr).toBe(
      `error: no store at ${typo} (tokengate serve or tokengate migrate --store sqlite:… creates it)\n`,
    );
    expect(existsSync(typo)).toBe(false);
  });

  it("reports an unknown id as not found, exit 1", async () => {
    const result = await tokengate("token", "revoke", "999999");
    expect(result).toEqual({ code: 1, stdout: "", stderr: "error: token 999999 not found\n" });
  });
});
