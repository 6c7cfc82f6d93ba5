/**
 * The directory commands: an operator (or an application's sync job) mirrors users and teams into
 * the built-in SQLite or PostgreSQL directory, tokens can then be minted for them, and a running
 * server on any framework follows each change from its next request, also when it caches in Redis.
 */
import { describeWithServices, redisUrl } from "@tokengate/test-support";
import { runTokengate, type ServeProcess, startServe } from "./cli-process";
import { testStores } from "./test-stores";

const FRAMEWORKS = ["hono", "express", "koa"] as const;
const TOKEN = /^api_[0-9a-z]{16}\n$/;

/** `GET /api/v1/me` with a token: the status, and the body's userId and teamId when it passed. */
async function callMe(server: ServeProcess, token: string) {
  const response = await fetch(`${server.baseUrl}/api/v1/me`, {
    headers: { authorization: `Bearer ${token.trim()}` },
  });
  const body = (await response.json()) as { userId?: number; teamId?: number | null; error?: string };
  return { status: response.status, userId: body.userId, teamId: body.teamId, error: body.error };
}

let unique = 0;
/** A `--redis` URL with keys of its own: no counter or cached entry is shared with another test. */
const ownRedis = () =>
  `${redisUrl}${redisUrl.includes("?") ? "&" : "?"}keyPrefix=tg_cli_dir_${process.pid}_${Date.now().toString(36)}_${unique++}:`;

const STORES = testStores("directory");
afterAll(() => Promise.all(STORES.map((store) => store.cleanup())));

for (const store of STORES) {
  describeWithServices(store.needs, `directory commands on ${store.kind}`, () => {
    const tokengate = (...args: string[]) => runTokengate([...args, "--store", store.url]);

    it("migrate, users add, then token create --user works", async () => {
      expect((await tokengate("migrate")).code).toBe(0);
      // Before the user exists the service says so, and how to add it.
      const early = await tokengate("token", "create", "--user", "1", "--name", "too early");
      expect(early).toMatchObject({ code: 1, stderr: "error: userId: no user 1 (--user)\n" });

      expect(
        await tokengate("users", "add", "--id", "1", "--name", "Ada", "--email", "ada@example.com"),
      ).toEqual({
        code: 0,
        stdout: "added user 1 (Ada <ada@example.com>)\n",
        stderr: "",
      });
      const created = await tokengate("token", "create", "--user", "1", "--name", "ada's laptop");
      expect(created.code).toBe(0);
      expect(created.stdout).toMatch(TOKEN);

      // Mirroring again updates in place; the email is kept when not given.
      expect(await tokengate("users", "add", "--id", "1", "--name", "Ada Lovelace")).toMatchObject({
        code: 0,
        stdout: "updated user 1 (Ada Lovelace <ada@example.com>)\n",
      });
    });

    it("teams add and teams members add|set|remove, with the service's checks after each", async () => {
      expect((await tokengate("users", "add", "--id", "2", "--name", "Bob")).code).toBe(0);
      expect(await tokengate("teams", "add", "--id", "10", "--name", "Acme", "--owner", "1")).toMatchObject({
        code: 0,
        stdout: "added team 10 (Acme), owned by user 1 (ADMIN)\n",
      });
      const outsider = await tokengate("token", "create", "--user", "2", "--team", "10", "--name", "bob ci");
      expect(outsider).toMatchObject({
        code: 1,
        stderr: "error: teamId: user 2 is not a member of team 10 (--team)\n",
      });

      expect(await tokengate("teams", "members", "add", "--team", "10", "--user", "2")).toMatchObject({
        code: 0,
        stdout: "user 2 is MEMBER of team 10\n",
      });
      const member = await tokengate("token", "create", "--user", "2", "--team", "10", "--name", "bob ci");
      expect(member.code).toBe(0);
      expect(member.stdout).toMatch(TOKEN);

      expect(await tokengate("teams", "members", "add", "--team", "10", "--user", "2")).toMatchObject({
        code: 1,
        stderr: "error: user 2 is a member of team 10 (MEMBER): use teams members set to change the role\n",
      });
      expect(
        await tokengate("teams", "members", "set", "--team", "10", "--user", "2", "--role", "MANAGER"),
      ).toMatchObject({ code: 0, stdout: "user 2 is MANAGER of team 10\n" });
      expect(await tokengate("teams", "members", "remove", "--team", "10", "--user", "1")).toMatchObject({
        code: 1,
        stderr:
          "error: user 1 owns team 10: give the team another owner first (teams add --id 10 --owner <id>)\n",
      });
      expect(await tokengate("teams", "members", "remove", "--team", "10", "--user", "2")).toMatchObject({
        code: 0,
        stdout: "removed user 2 from team 10\n",
      });
      expect(await tokengate("teams", "members", "remove", "--team", "10", "--user", "2")).toMatchObject({
        code: 1,
        stderr: "error: user 2 is not a member of team 10: use teams members add\n",
      });
    });

    it("refuses ids that do not exist, naming the flag", async () => {
      expect(await tokengate("users", "disable", "404")).toMatchObject({
        code: 1,
        stderr: "error: no user 404 (<id>); add it first with users add --id 404\n",
      });
      expect(await tokengate("teams", "add", "--id", "11", "--owner", "404")).toMatchObject({
        code: 1,
        stderr: "error: no user 404 (--owner); add it first with users add --id 404\n",
      });
      expect(await tokengate("teams", "members", "add", "--team", "404", "--user", "1")).toMatchObject({
        code: 1,
        stderr: "error: no team 404 (--team); add it first with teams add --id 404\n",
      });
    });
  });

  describeWithServices(
    ["redis", ...store.needs],
    `a server on ${store.kind} follows the directory commands`,
    () => {
      describe.each(FRAMEWORKS)("serve --framework %s --redis", (framework) => {
        let server: ServeProcess | undefined;
        let redis: string;
        // Ids of this framework's own, so the three servers share a store but not their users.
        const base = 1000 * (FRAMEWORKS.indexOf(framework) + 1);
        const [alice, bob, team] = [base + 1, base + 2, base + 3].map(String) as [string, string, string];
        const cli = (...args: string[]) => runTokengate([...args, "--store", store.url, "--redis", redis]);

        afterAll(async () => {
          await server?.stop();
        });

        it("a user disabled, a member removed or a token revoked is refused from the next request", async () => {
          redis = ownRedis();
          expect((await runTokengate(["migrate", "--store", store.url])).code).toBe(0);
          server = await startServe([
            "--framework",
            framework,
            "--port",
            "0",
            "--store",
            store.url,
            "--redis",
            redis,
          ]);

          expect((await cli("users", "add", "--id", alice, "--name", "alice")).code).toBe(0);
          expect((await cli("users", "add", "--id", bob, "--name", "bob")).code).toBe(0);
          expect((await cli("teams", "add", "--id", team, "--owner", alice)).code).toBe(0);
          expect((await cli("teams", "members", "add", "--team", team, "--user", bob)).code).toBe(0);
          const personal = (await cli("token", "create", "--user", alice, "--name", "alice cli")).stdout;
          const teamToken = (await cli("token", "create", "--user", bob, "--team", team, "--name", "bob ci"))
            .stdout;

          // Twice each: the second answer comes from the server's cache.
          for (let i = 0; i < 2; i++) {
            expect(await callMe(server, personal)).toMatchObject({
              status: 200,
              userId: Number(alice),
              teamId: null,
            });
            expect(await callMe(server, teamToken)).toMatchObject({
              status: 200,
              userId: Number(bob),
              teamId: Number(team),
            });
          }

          expect(await cli("users", "disable", alice)).toMatchObject({
            code: 0,
            stdout: `disabled user ${alice}\n`,
          });
          expect(await callMe(server, personal)).toMatchObject({ status: 401, error: "owner_disabled" });
          expect(await cli("users", "enable", alice)).toMatchObject({ code: 0 });
          expect(await callMe(server, personal)).toMatchObject({ status: 200, userId: Number(alice) });

          expect(await cli("teams", "members", "remove", "--team", team, "--user", bob)).toMatchObject({
            code: 0,
          });
          expect(await callMe(server, teamToken)).toMatchObject({ status: 401, error: "invalid_token" });

          // And a token revoked from the terminal, as the banner says to run it.
          const listed = await cli("token", "list", "--user", alice, "--json");
          const [{ id }] = (JSON.parse(listed.stdout) as { tokens: Array<{ id: number }> }).tokens as [
            { id: number },
          ];
          expect(await cli("token", "revoke", String(id))).toEqual({
            code: 0,
            stdout: `revoked token ${id}\n`,
            stderr: "",
          });
          expect(await callMe(server, personal)).toMatchObject({ status: 401, error: "invalid_token" });
        }, 90_000); // A dozen CLI processes in a row: room for a machine busy with the other suites.
      });
    },
  );
}
