/**
 * No command hangs: with Redis or PostgreSQL refusing connections, or accepting them and never
 * answering, every command but `serve` exits within the bound the README states, non-zero, with one
 * `error:` line naming what did not answer. A revocation is still made in the store; anything else
 * changes nothing. On SQLite and on PostgreSQL.
 */

import { describeWithServices, postgresUrl } from "@tokengate/test-support";
import { COMMAND_DEADLINE_MS } from "../src/deadline";
import {
  type BlackHole,
  closedPort,
  runTokengate,
  runTokengateTimed,
  startBlackHole,
  type TimedCliResult,
} from "./cli-process";
import { testStores } from "./test-stores";

/** Exit 1, nothing on stdout but `stdout`, one `error:` line matching `message`, within the bound. */
function expectBoundedFailure(result: TimedCliResult, message: RegExp, stdout = "") {
  expect(result.code).toBe(1);
  expect(result.stdout).toBe(stdout);
  expect(result.stderr).toMatch(/^error: [^\n]+\n$/);
  expect(result.stderr).toMatch(message);
  expect(result.ms).toBeLessThan(COMMAND_DEADLINE_MS);
}

const REDIS_AWAY = [
  [
    "refuses connections",
    /Redis at redis:\/\/127\.0\.0\.1:\d+ is not reachable \(connect ECONNREFUSED [^)]+\)/,
  ],
  ["accepts connections and never answers", /Redis at redis:\/\/127\.0\.0\.1:\d+ did not answer within 3 s/],
] as const;

for (const store of testStores("bounded")) {
  describeWithServices(store.needs, `tokengate on ${store.kind} with a --redis that`, () => {
    const tokengate = (...args: string[]) => runTokengate([...args, "--store", store.url]);
    let blackHole: BlackHole;
    let refused: number;

    beforeAll(async () => {
      blackHole = await startBlackHole();
      refused = await closedPort();
    });

    afterAll(async () => {
      await blackHole.close();
      await store.cleanup();
    });

    // Made by the first test that needs it: a beforeAll would run even when PostgreSQL is missing.
    let setUp: Promise<void> | undefined;
    const withUsers = () => {
      setUp ??= (async () => {
        for (const args of [["migrate"], ...["1", "2", "3"].map((id) => ["users", "add", "--id", id])]) {
          expect(await tokengate(...args)).toMatchObject({ code: 0 });
        }
      })();
      return setUp;
    };

    describe.each(REDIS_AWAY)("%s", (how, redisMessage) => {
      const redis = () => `redis://127.0.0.1:${how === "refuses connections" ? refused : blackHole.port}`;
      const timed = (...args: string[]) =>
        runTokengateTimed([...args, "--store", store.url, "--redis", redis()]);
      const tokenIds = async (user: string) => {
        const listed = await tokengate("token", "list", "--user", user, "--json");
        return (JSON.parse(listed.stdout) as { tokens: Array<{ id: number }> }).tokens.map((t) => t.id);
      };

      it("token list and token create fail at once and change nothing", async () => {
        await withUsers();
        const before = await tokenIds("1");
        const [list, create] = await Promise.all([
          timed("token", "list", "--user", "1"),
          timed("token", "create", "--user", "1", "--name", "while redis is away"),
        ]);
        const nothing = new RegExp(`${redisMessage.source}; nothing was done`);
        expectBoundedFailure(list, nothing);
        expectBoundedFailure(create, nothing);
        expect(await tokenIds("1")).toEqual(before);
      });

      it("token revoke and users disable still change the store, then fail saying the caches were not told", async () => {
        await withUsers();
        const created = await tokengate("token", "create", "--user", "2", "--name", "to revoke");
        expect(created.code).toBe(0);
        const [id] = await tokenIds("2");
        const [revoke, disable] = await Promise.all([
          timed("token", "revoke", String(id)),
          timed("users", "disable", "3"),
        ]);
        const untold = (stored: string) =>
          new RegExp(
            `^error: ${stored} in the store, but ${redisMessage.source}: a server that caches in Redis may go on accepting what it cached for up to 5 minutes\\n$`,
          );
        expectBoundedFailure(revoke, untold(`token ${id} is revoked`), `revoked token ${id}\n`);
        expectBoundedFailure(disable, untold("user 3 is disabled"), "disabled user 3\n");
        expect(await tokenIds("2")).toEqual([]);
        // Disabled: enabling it again says it was disabled, and works.
        expect(await tokengate("users", "enable", "3")).toMatchObject({
          code: 0,
          stdout: "enabled user 3\n",
        });
      });
    });
  });
}

describe.each([
  [
    "refuses connections",
    /PostgreSQL at postgres:\/\/postgres@127\.0\.0\.1:\d+\/test \(schema tokengate\) is not reachable \(connect ECONNREFUSED [^)]+\)/,
  ],
  [
    "accepts connections and never answers",
    /PostgreSQL at postgres:\/\/postgres@127\.0\.0\.1:\d+\/test \(schema tokengate\) did not answer within 3 s/,
  ],
] as const)("tokengate with a PostgreSQL --store that %s", (how, message) => {
  let blackHole: BlackHole;
  let refused: number;

  beforeAll(async () => {
    blackHole = await startBlackHole();
    refused = await closedPort();
  });

  afterAll(async () => {
    await blackHole.close();
  });

  it.each([
    [["migrate"]],
    [["token", "list", "--user", "1"]],
    [["token", "revoke", "1"]],
    [["users", "add", "--id", "1"]],
  ])("tokengate %j exits 1 within the bound, naming the database", async (args: string[]) => {
    const port = how === "refuses connections" ? refused : blackHole.port;
    const result = await runTokengateTimed([
      ...args,
      "--store",
      `postgres://postgres@127.0.0.1:${port}/test`,
    ]);
    expectBoundedFailure(result, message);
  });
});

describeWithServices(["postgres"], "tokengate on a PostgreSQL schema without tokengate's tables", () => {
  for (const args of [
    ["token", "list", "--user", "1"],
    ["token", "create", "--user", "1", "--name", "nowhere"],
    ["users", "add", "--id", "1"],
  ]) {
    it(`tokengate ${args.join(" ")} refuses it and says how to create them`, async () => {
      const schema = `tg_cli_missing_${process.pid}_${Date.now().toString(36)}`;
      const store = `${postgresUrl}${postgresUrl.includes("?") ? "&" : "?"}schema=${schema}`;
      const result = await runTokengate([...args, "--store", store]);
      expect(result.code).toBe(1);
      expect(result.stdout).toBe("");
      const cli = "node packages/cli/bin/tokengate\\.cjs";
      expect(result.stderr).toMatch(
        new RegExp(
          `^error: no tokengate tables in postgres://\\S+ \\(schema ${schema}\\): create them with ${cli} migrate --store '[^']+' \\(empty\\) or ${cli} serve --store '[^']+' \\(the demo\\)\\n$`,
        ),
      );
    });
  }
});
