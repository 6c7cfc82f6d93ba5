/**
 * The command line itself: help on every command, one-line errors with exit 2 for bad arguments,
 * exit 1 with the field named when the service refuses, and token output fit for `$(...)`.
 * The users and teams they act on are added with the CLI's own directory commands.
 */
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { EXPIRATION_PRESETS } from "@tokengate/core";
import { validateOpenApi } from "@tokengate/test-support";
import { runTokengate, startServe } from "./cli-process";

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
    [["openapi"], "tokengate openapi [options]"],
    [["users"], "tokengate users <command> [options]"],
    [["users", "add"], "tokengate users add [options]"],
    [["users", "disable"], "tokengate users disable [options] <id>"],
    [["users", "enable"], "tokengate users enable [options] <id>"],
    [["teams"], "tokengate teams <command> [options]"],
    [["teams", "add"], "tokengate teams add [options]"],
    [["teams", "members"], "tokengate teams members <command> [options]"],
    [["teams", "members", "add"], "tokengate teams members add [options]"],
    [["teams", "members", "set"], "tokengate teams members set [options]"],
    [["teams", "members", "remove"], "tokengate teams members remove [options]"],
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
    [["token", "list", "--user", "1", "--store", "memory"], "--store memory lives and dies with one process"],
    [["users"], "missing command (try tokengate users --help)"],
    [["users", "frobnicate"], "unknown command 'users frobnicate'"],
    [["users", "add", "--name", "Ada"], "--id"],
    [["users", "add", "--id", "0"], "--id must be a positive integer"],
    [["users", "disable"], "missing required argument 'id'"],
    [["teams", "add", "--id", "1"], "--owner"],
    [["teams", "members"], "missing command (try tokengate teams members --help)"],
    [["teams", "members", "frobnicate"], "unknown command 'teams members frobnicate'"],
    [["teams", "members", "add", "--team", "1"], "--user"],
    [["teams", "members", "add", "--team", "1", "--user", "2", "--role", "OWNER"], "ADMIN, MANAGER, MEMBER"],
    [["teams", "members", "set", "--team", "1", "--user", "2"], "--role"],
  ])("tokengate %j exits 2 with one line on stderr", async (args, message) => {
    // None of these gets as far as opening a store; dir keeps the default one out of the repo anyway.
    const result = await runTokengate(args, dir);
    expect(result.code).toBe(2);
    expect(result.stdout).toBe("");
    expect(result.stderr).toMatch(/^error: [^\n]+\n$/);
    expect(result.stderr).toContain(message);
  });
});

describe("tokengate openapi", () => {
  it("prints the admin router's OpenAPI 3.1 document under the mount it is given, and it validates", async () => {
    const result = await runTokengate(["openapi", "--mount", "/v1/tokens"]);
    expect(result.code).toBe(0);
    const doc = JSON.parse(result.stdout) as { openapi: string; paths: Record<string, unknown> };
    expect(doc.openapi).toBe("3.1.0");
    expect(Object.keys(doc.paths)).toEqual(
      expect.arrayContaining([
        "/v1/tokens",
        "/v1/tokens/{id}",
        "/v1/tokens/{id}/rotate",
        "/v1/tokens/openapi.json",
      ]),
    );
    expect(await validateOpenApi(doc)).toEqual({ valid: true, version: "3.1", errors: null });
  });

  it("refuses a mount path that does not start with /, exit 2", async () => {
    const result = await runTokengate(["openapi", "--mount", "tokens"]);
    expect(result.code).toBe(2);
    expect(result.stderr).toBe("error: --mount must start with /\n");
  });
});

describe("token commands against a store", () => {
  const tokengate = (...args: string[]) => runTokengate([...args, "--store", store]);

  beforeAll(async () => {
    const setup = [
      ["migrate"],
      ["users", "add", "--id", "1", "--name", "alice"],
      ["users", "add", "--id", "2", "--name", "bob"],
      ["users", "add", "--id", "3", "--name", "carol"],
      ["teams", "add", "--id", "1", "--name", "acme", "--owner", "1"],
      ["teams", "members", "add", "--team", "1", "--user", "2"],
      ["teams", "add", "--id", "2", "--name", "globex", "--owner", "3"],
    ];
    for (const args of setup) expect(await tokengate(...args)).toMatchObject({ code: 0, stderr: "" });
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
      store,
    ]);
    expect(created.code).toBe(0);
    expect(created.stdout).toMatch(/^api_[0-9a-z]{16}\n$/);
    expect(created.stderr).toMatch(/created token \d+ for team 1 as user 1; expires \d{4}-/);

    const listed = await runTokengate(["token", "list", "--team", "1", "--store", store]);
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
      store,
    ]);
    const listed = await runTokengate(["token", "list", "--user", "2", "--json", "--store", store]);
    const id = (JSON.parse(listed.stdout) as { tokens: Array<{ id: number }> }).tokens[0]!.id;

    const rotated = await runTokengate(["token", "rotate", String(id), "--grace", "15m", "--store", store]);
    expect(rotated.code).toBe(0);
    expect(rotated.stdout).toMatch(/^api_[0-9a-z]{16}\n$/);
    expect(rotated.stdout).not.toBe(created.stdout);
    expect(rotated.stderr).toMatch(
      new RegExp(`token ${id} replaced by token \\d+; token ${id} keeps working until`),
    );

    const after = await runTokengate(["token", "list", "--user", "2", "--store", store]);
    expect(after.stdout).toMatch(new RegExp(`^${id} +rotating +- +active, replaced by \\d+ `, "m"));
  });

  it("names the field and the flag when the service refuses, and exits 1", async () => {
    const short = await tokengate("token", "create", "--user", "1", "--name", "ab");
    expect(short.code).toBe(1);
    expect(short.stdout).toBe("");
    expect(short.stderr).toBe("error: tokenName: The token name should be 3 characters or longer (--name)\n");

    const past = await tokengate(
      "token",
      "create",
      "--user",
      "1",
      "--name",
      "late",
      "--expires",
      "2020-01-01T00:00:00Z",
    );
    expect(past.code).toBe(1);
    expect(past.stderr).toBe("error: expirationDate: expirationDate must be in the future (--expires)\n");

    const outsider = await tokengate("token", "create", "--user", "2", "--team", "2", "--name", "sneaky");
    expect(outsider.code).toBe(1);
    expect(outsider.stderr).toBe("error: teamId: user 2 is not a member of team 2 (--team)\n");
  });

  it("refuses a --store file that does not exist instead of creating an empty one", async () => {
    const typo = join(dir, "tokns.db");
    const result = await runTokengate(["token", "list", "--user", "1", "--store", `sqlite:${typo}`]);
    expect(result.code).toBe(1);
    expect(result.stderr).toBe(
      `error: no store at ${typo}: create it with node packages/cli/bin/tokengate.cjs migrate --store sqlite:${typo} (empty) or node packages/cli/bin/tokengate.cjs serve --store sqlite:${typo} (the demo)\n`,
    );
    expect(existsSync(typo)).toBe(false);
  });

  it("reports an unknown id as not found, exit 1", async () => {
    const result = await tokengate("token", "revoke", "999999");
    expect(result).toEqual({ code: 1, stdout: "", stderr: "error: token 999999 not found\n" });
  });
});

describe("--expires takes exactly what the API's expirationDate takes", () => {
  const tokengate = (...args: string[]) => runTokengate([...args, "--store", store]);
  // The API's list, from the core: the CLI must not keep one of its own.
  const choices = `never, ${EXPIRATION_PRESETS.join(", ")}, or an ISO-8601 instant with a time zone`;

  beforeAll(async () => {
    // Its own store, so the order of the describe blocks does not matter.
    expect((await tokengate("migrate")).code).toBe(0);
    expect((await tokengate("users", "add", "--id", "1")).code).toBe(0);
  });

  it.each([...EXPIRATION_PRESETS, "2099-01-31T00:00:00Z", "2099-01-31T09:30:00+09:00"])(
    "accepts %s, as the API does",
    async (expires) => {
      const result = await tokengate(
        "token",
        "create",
        "--user",
        "1",
        "--name",
        `expires ${expires}`,
        "--expires",
        expires,
      );
      expect(result.code).toBe(0);
      expect(result.stdout).toMatch(/^api_[0-9a-z]{16}\n$/);
      expect(result.stderr).toMatch(/; expires \d{4}-\d\d-\d\dT/);
    },
  );

  it("takes never (the API's null), which is also the default", async () => {
    for (const extra of [["--expires", "never"], []]) {
      const name = `forever ${extra.length}`;
      const result = await tokengate("token", "create", "--user", "1", "--name", name, ...extra);
      expect(result.code).toBe(0);
      expect(result.stderr).toContain("; never expires.");
    }
  });

  it.each(["7d", "7", "1w", "one_week", "tomorrow", "2099-01-31", "2099-01-31T00:00:00", "null", ""])(
    "refuses %j with exit 2 and one line listing the choices, as the API refuses it",
    async (expires) => {
      for (const command of [
        ["token", "create", "--user", "1", "--name", "refused"],
        ["token", "rotate", "1"],
      ]) {
        const result = await tokengate(...command, "--expires", expires);
        expect(result.code).toBe(2);
        expect(result.stdout).toBe("");
        expect(result.stderr).toMatch(/^error: [^\n]+\n$/);
        expect(result.stderr).toContain(`--expires takes ${choices}`);
      }
    },
  );

  it("lists the choices in --help", async () => {
    const help = await runTokengate(["token", "create", "--help"]);
    expect(help.stdout.replace(/\s+/g, " ")).toContain(choices);
  });
});

describe("the default --store", () => {
  let elsewhere: string;

  beforeAll(() => {
    elsewhere = mkdtempSync(join(tmpdir(), "tokengate-cli-elsewhere-"));
  });

  afterAll(() => {
    rmSync(elsewhere, { recursive: true, force: true });
  });

  it.each([
    [["token", "list", "--user", "1"]],
    [["token", "create", "--user", "1", "--name", "nowhere"]],
    [["token", "revoke", "1"]],
    [["token", "rotate", "1"]],
    [["users", "add", "--id", "1"]],
    [["users", "disable", "1"]],
    [["teams", "add", "--id", "1", "--owner", "1"]],
    [["teams", "members", "add", "--team", "1", "--user", "1"]],
  ])(
    "tokengate %j from a folder without a store refuses, names the path, and creates nothing",
    async (args: string[]) => {
      const result = await runTokengate(args, elsewhere);
      const path = join(elsewhere, ".tokengate", "demo.db");
      expect(result.code).toBe(1);
      expect(result.stdout).toBe("");
      expect(result.stderr).toBe(
        `error: no store at ${path} (the default --store, .tokengate/demo.db in the folder tokengate runs from). Pass the --store your servers use (or set TOKENGATE_STORE), start the demo in this folder with tokengate serve, or create an empty store with tokengate migrate --store sqlite:${path}\n`,
      );
      expect(existsSync(join(elsewhere, ".tokengate"))).toBe(false);
    },
  );

  it("is the store serve created in that folder, and its demo users", async () => {
    const folder = mkdtempSync(join(elsewhere, "served-"));
    const server = await startServe(["--port", "0"], folder);
    try {
      const listed = await runTokengate(["token", "list", "--user", "1"], folder);
      expect(listed).toEqual({ code: 0, stdout: "", stderr: "user 1 has no personal tokens\n" });
      const created = await runTokengate(
        ["token", "create", "--user", "2", "--team", "1", "--name", "acme ci"],
        folder,
      );
      expect(created.code).toBe(0);
      expect(created.stdout).toMatch(/^api_[0-9a-z]{16}\n$/);
    } finally {
      await server.stop();
    }
  });
});
