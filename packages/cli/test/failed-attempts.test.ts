/**
 * The demo's failed-attempt limiter, as a user meets it: the banner says the limit and prints a
 * loop of bad-token curls that ends in 429; a flood of bad tokens from one address gets 401 ten
 * times, then 429 with Retry-After, while another address is untouched. In memory without Redis;
 * in Redis with it, where every server counts the same failures. On all three frameworks.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { request } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describeWithServices, redisUrl } from "@tokengate/test-support";
import { runShell, type ServeProcess, startServe } from "./cli-process";

const FRAMEWORKS = ["hono", "express", "koa"] as const;
const BAD_TOKEN = "api_0000000000000000";
const LIMIT = 10;
const WINDOW_MS = 60_000;

interface Answer {
  readonly status: number;
  readonly retryAfter: string | undefined;
  readonly body: { error?: string };
}

/** `GET /api/v1/me` with `token`, from `localAddress` (any 127.x.y.z reaches a loopback server). */
function callMe(server: ServeProcess, token: string, localAddress = "127.0.0.1"): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: "127.0.0.1",
        port: server.port,
        path: "/api/v1/me",
        localAddress,
        headers: { authorization: `Bearer ${token}` },
      },
      (res) => {
        let text = "";
        res.on("data", (chunk: Buffer) => {
          text += chunk.toString();
        });
        res.on("end", () =>
          resolve({
            status: res.statusCode ?? 0,
            retryAfter: res.headers["retry-after"],
            body: JSON.parse(text) as { error?: string },
          }),
        );
      },
    );
    req.on("error", reject);
    req.end();
  });
}

/** The banner's bad-token loop, run as printed: its `uniq -c` tally as { status: count }. */
async function runPrintedLoop(banner: string): Promise<Record<string, number>> {
  const loop = banner.split("\n").find((line) => line.startsWith("for i in "));
  if (!loop) throw new Error(`no bad-token loop in the banner:\n${banner}`);
  const result = await runShell(loop);
  expect(result.code).toBe(0);
  const tally: Record<string, number> = {};
  for (const line of result.stdout.trim().split("\n")) {
    const [count, status] = line.trim().split(/\s+/);
    tally[status!] = Number(count);
  }
  return tally;
}

/** 429 as the limiter gives it: Retry-After in whole seconds, within the window, and its own code. */
function expectTooManyFailures(answer: Answer) {
  expect(answer.status).toBe(429);
  expect(Number(answer.retryAfter)).toBeGreaterThanOrEqual(1);
  expect(Number(answer.retryAfter)).toBeLessThanOrEqual(WINDOW_MS / 1000);
  expect(answer.body).toEqual({ error: "rate_limited", message: "Too many failed attempts" });
}

describe.each(FRAMEWORKS)("failed attempts on serve --framework %s", (framework) => {
  let dir: string;
  const servers: ServeProcess[] = [];

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), `tokengate-cli-failures-${framework}-`));
  });

  afterAll(async () => {
    for (const server of servers) await server.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  const serve = async (...extra: string[]) => {
    const server = await startServe([
      "--framework",
      framework,
      "--port",
      "0",
      "--store",
      `sqlite:${join(dir, "demo.db")}`,
      ...extra,
    ]);
    servers.push(server);
    return server;
  };

  it("in memory: the printed loop ends in 429, and 300 bad tokens from one address get 401 only ten times", async () => {
    const server = await serve();
    expect(server.banner).toContain(
      "failed attempts: 10 per address per 60 s, counted in this process; then 429",
    );

    expect(await runPrintedLoop(server.banner)).toEqual({ "401": LIMIT, "429": 2 });
    expectTooManyFailures(await callMe(server, BAD_TOKEN));

    // The reproduction, from an address of its own: 300 bad tokens in a row.
    const started = performance.now();
    const statuses: number[] = [];
    for (let i = 0; i < 300; i++) statuses.push((await callMe(server, BAD_TOKEN, "127.0.0.2")).status);
    const elapsed = performance.now() - started;
    expect(statuses.slice(0, LIMIT)).toEqual(Array(LIMIT).fill(401));
    expect(statuses[LIMIT]).toBe(429);
    expect(new Set(statuses)).toEqual(new Set([401, 429]));
    // GCRA gives one attempt back every window / limit; a slow machine may earn one or two.
    const earned = Math.floor(elapsed / (WINDOW_MS / LIMIT));
    expect(statuses.filter((s) => s === 401).length).toBeLessThanOrEqual(LIMIT + earned);
  });

  describeWithServices(["redis"], "in Redis", () => {
    it("every server counts the same failures: after ten on two servers, both answer 429", async () => {
      const redis = `${redisUrl}${redisUrl.includes("?") ? "&" : "?"}keyPrefix=tg_cli_fail_${framework}_${process.pid}_${Date.now().toString(36)}:`;
      const first = await serve("--redis", redis);
      const second = await serve("--redis", redis);
      expect(first.banner).toContain(
        "failed attempts: 10 per address per 60 s, counted in Redis, shared by every server; then 429",
      );

      // The printed loop against the first server: ten 401s, then 429.
      expect(await runPrintedLoop(first.banner)).toEqual({ "401": LIMIT, "429": 2 });
      // The second server has seen none of them, and still refuses this address.
      expectTooManyFailures(await callMe(second, BAD_TOKEN));

      // Another address, its failures split between the two servers.
      for (let i = 0; i < 6; i++) expect((await callMe(first, BAD_TOKEN, "127.0.0.3")).status).toBe(401);
      for (let i = 0; i < 4; i++) expect((await callMe(second, BAD_TOKEN, "127.0.0.3")).status).toBe(401);
      expectTooManyFailures(await callMe(second, BAD_TOKEN, "127.0.0.3"));
      expectTooManyFailures(await callMe(first, BAD_TOKEN, "127.0.0.3"));
      // A third address has its own count.
      expect((await callMe(first, BAD_TOKEN, "127.0.0.4")).status).toBe(401);
    });
  });
});
