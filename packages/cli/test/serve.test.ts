/**
 * `tokengate serve` as a user meets it: start it, paste the curl commands it prints, revoke the
 * token from a second terminal, stop it with a signal. Every framework, over a fresh SQLite file.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describeWithServices, redisUrl } from "@tokengate/test-support";
import { printedCommands, runShell, runTokengate, type ServeProcess, startServe } from "./cli-process";

const FRAMEWORKS = ["hono", "express", "koa"] as const;

/** Runs the printed block as printed; a trailing line hands `$TOKEN` back on stderr for later checks. */
async function runPrintedCommands(banner: string): Promise<{ me: Record<string, unknown>; token: string }> {
  const result = await runShell(`${printedCommands(banner)}\nprintf '%s' "$TOKEN" >&2`);
  expect(result.code).toBe(0);
  return {
    me: JSON.parse(result.stdout) as Record<string, unknown>,
    token: result.stderr.split("\n").pop()!,
  };
}

/** The printed `/api/v1/me` curl line, as printed, with `$TOKEN` set to `token`. */
async function callMeAsPrinted(banner: string, token: string): Promise<Record<string, unknown>> {
  const meLine = printedCommands(banner).split("\n").pop()!;
  const result = await runShell(meLine, { TOKEN: token });
  return JSON.parse(result.stdout) as Record<string, unknown>;
}

describe.each(FRAMEWORKS)("tokengate serve --framework %s", (framework) => {
  let dir: string;
  let store: string;
  let server: ServeProcess | undefined;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), `tokengate-cli-${framework}-`));
    store = `sqlite:${join(dir, "demo.db")}`;
    server = await startServe(["--framework", framework, "--port", "0", "--store", store]);
  });

  afterAll(async () => {
    await server?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it("prints its real port and curl commands that create a token and call /api/v1/me as alice", async () => {
    const { banner, port } = server!;
    expect(port).toBeGreaterThan(0);
    expect(banner).toContain(`http://127.0.0.1:${port}/api-tokens`);
    expect(banner).toContain(`(${framework})`);

    const { me, token } = await runPrintedCommands(banner);
    expect(token).toMatch(/^api_[0-9a-z]{16}$/);
    expect(me).toEqual({
      userId: 1,
      teamId: null,
      tokenId: expect.any(Number),
      tokenName: "my-first-token",
      scopes: [],
    });
  });

  it("refuses the token on the next request once another process revokes it", async () => {
    const { me, token } = await runPrintedCommands(server!.banner);
    const tokenId = me.tokenId as number;

    const listed = await runTokengate(["token", "list", "--user", "1", "--store", store]);
    expect(listed.code).toBe(0);
    expect(listed.stdout).toMatch(new RegExp(`^${tokenId} +my-first-token +- +active`, "m"));
    expect(listed.stdout).not.toContain(token);

    const revoked = await runTokengate(["token", "revoke", String(tokenId), "--store", store]);
    expect(revoked).toMatchObject({ code: 0, stdout: `revoked token ${tokenId}\n` });

    expect(await callMeAsPrinted(server!.banner, token)).toMatchObject({ error: "invalid_token" });
  });

  it("keeps the security log in its store: the printed create, and a revoke by the CLI from another process", async () => {
    const { me } = await runPrintedCommands(server!.banner);
    const tokenId = me.tokenId as number;
    expect((await runTokengate(["token", "revoke", String(tokenId), "--store", store])).code).toBe(0);

    const response = await fetch(`${server!.baseUrl}/api-tokens/events?tokenId=${tokenId}`, {
      headers: { authorization: `Basic ${Buffer.from("alice:alice-demo").toString("base64")}` },
    });
    expect(response.status).toBe(200);
    const { events } = (await response.json()) as { events: Array<Record<string, unknown>> };
    expect(events).toEqual([
      // An operator at a terminal is no user of the app: no actor, no client.
      expect.objectContaining({ type: "revoked", tokenId, actorUserId: null, clientAddress: null }),
      expect.objectContaining({
        type: "created",
        tokenId,
        tokenName: "my-first-token",
        actorUserId: 1,
        clientAddress: "127.0.0.1",
        userAgent: expect.stringMatching(/^curl\//),
      }),
    ]);
  });

  it("takes the demo logins as the session: a wrong password is signed out, disabled carol is refused", async () => {
    const create = (login: string) =>
      fetch(`${server!.baseUrl}/api-tokens`, {
        method: "POST",
        headers: {
          authorization: `Basic ${Buffer.from(login).toString("base64")}`,
          "content-type": "application/json",
        },
        body: JSON.stringify({ tokenName: "from-a-test" }),
      });
    expect((await create("alice:bob-demo")).status).toBe(401);
    expect((await create("mallory:alice-demo")).status).toBe(401);
    const carol = await create("carol:carol-demo");
    expect(carol.status).toBe(403);
    expect(await carol.json()).toMatchObject({ error: "forbidden" });
    expect((await create("bob:bob-demo")).status).toBe(201);
  });

  it("answers /api/v1/me without a token with 401 and a Bearer challenge", async () => {
    const response = await fetch(`${server!.baseUrl}/api/v1/me`);
    expect(response.status).toBe(401);
    expect(response.headers.get("www-authenticate")).toBe('Bearer realm="api"');
  });
});

describe("tokengate serve shutdown", () => {
  let dir: string;
  let server: ServeProcess | undefined;

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), "tokengate-cli-shutdown-"));
  });

  afterAll(async () => {
    await server?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it("exits 0 on SIGTERM after writing the last-used time of a token used just before", async () => {
    const store = `sqlite:${join(dir, "demo.db")}`;
    server = await startServe(["--port", "0", "--store", store]);
    const { me } = await runPrintedCommands(server.banner);

    // Whether or not the periodic flush ran in between, a clean stop must not lose the last use.
    expect(await server.stop()).toBe(0);
    const listed = await runTokengate(["token", "list", "--user", "1", "--json", "--store", store]);
    const { tokens } = JSON.parse(listed.stdout) as {
      tokens: Array<{ id: number; lastUsedAt: string | null }>;
    };
    expect(tokens.find((t) => t.id === me.tokenId)?.lastUsedAt).toEqual(expect.any(String));
  });

  it("keeps the default store under the directory it was started from", async () => {
    server = await startServe(["--port", "0"], dir);
    expect(server.banner).toContain(`store: sqlite:${join(dir, ".tokengate", "demo.db")}`);
    await server.stop();
  });
});

describeWithServices(["redis"], "tokengate serve --redis", () => {
  // Keys of their own (ioredis reads keyPrefix from the URL), so parallel runs share no counters.
  const redis = `${redisUrl}${redisUrl.includes("?") ? "&" : "?"}keyPrefix=tg_cli_serve_${process.pid}_${Date.now().toString(36)}:`;
  let dir: string;
  let server: ServeProcess | undefined;

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), "tokengate-cli-redis-"));
  });

  afterAll(async () => {
    await server?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it("a revocation from the terminal, as the banner says to run it, reaches the caching server at once", async () => {
    const store = `sqlite:${join(dir, "demo.db")}`;
    server = await startServe(["--framework", "express", "--port", "0", "--store", store, "--redis", redis]);
    expect(server.banner).toContain("cache: in-process LRU and Redis");
    expect(server.stderr()).not.toContain("not reachable");

    const { me, token } = await runPrintedCommands(server.banner);
    // A second call is answered from the cache the first one filled.
    expect(await callMeAsPrinted(server.banner, token)).toEqual(me);

    const hint = server.banner.split("\n").find((line) => line.includes(" token revoke <id>"))!;
    expect(hint).toBe(
      `#   node packages/cli/bin/tokengate.cjs token revoke <id> --store ${store} --redis '${redis}'`,
    );
    const revoke = await runShell(hint.replace(/^#\s+/, "").replace("<id>", String(me.tokenId)));
    expect(revoke).toMatchObject({ code: 0, stdout: `revoked token ${me.tokenId}\n` });

    expect(await callMeAsPrinted(server.banner, token)).toMatchObject({ error: "invalid_token" });
  });
});
