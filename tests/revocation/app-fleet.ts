/**
 * Child processes for the revocation and scale-out tests: tokengate app instances
 * (`app-process.ts`), and `startFleet`, the one set-up every multi-process suite shares (a schema,
 * a Redis, one instance per framework) with its one tear-down. The Redis a suite may kill or fail
 * over (a private server, a Cluster, a Sentinel group) comes from `@tokengate/test-support`.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { Agent, request } from "node:http";
import { resolve } from "node:path";
import { performance } from "node:perf_hooks";
import { migrate, PostgresDirectory } from "@tokengate/postgres";
import { freePort, postgresUrl, redisUrl } from "@tokengate/test-support";
import Redis from "ioredis";
import { Pool } from "pg";

export const REPO_ROOT = resolve(__dirname, "../..");
const APP = resolve(__dirname, "app-process.ts");

export type Framework = "hono" | "express" | "koa";
export const FRAMEWORKS: readonly Framework[] = ["hono", "express", "koa"];

/** The header that stands in for the application's session in the app processes. */
export const SESSION_HEADER = "x-test-user";

/** The one user in a fleet's schema (`startFleet`): every token the suites create is this user's. */
export const USER_ID = 1;

export interface HttpResult {
  readonly status: number;
  readonly headers: Readonly<Record<string, string | string[] | undefined>>;
  readonly body: string;
}

/** One HTTP exchange on `agent` (keep-alive), resolved once the body has been read. */
export function send(
  agent: Agent,
  port: number,
  method: string,
  path: string,
  headers: Record<string, string> = {},
  body?: string,
): Promise<HttpResult> {
  return new Promise((done, fail) => {
    const req = request({ host: "127.0.0.1", port, method, path, headers, agent }, (res) => {
      let text = "";
      res.setEncoding("utf8");
      res.on("data", (chunk: string) => {
        text += chunk;
      });
      res.on("end", () => done({ status: res.statusCode ?? 0, headers: res.headers, body: text }));
      res.on("error", fail);
    });
    req.on("error", fail);
    req.end(body);
  });
}

const live = new Set<ChildProcess>();

function exited(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((done) => child.once("exit", () => done()));
}

/** SIGTERM, and SIGKILL if the child has not exited within `graceMs`. */
async function terminate(child: ChildProcess, graceMs: number): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  child.kill("SIGTERM");
  const timer = setTimeout(() => child.kill("SIGKILL"), graceMs);
  await exited(child);
  clearTimeout(timer);
}

/** Kills every child these helpers started and has not stopped yet: for afterAll and failures. */
export async function killAllChildren(): Promise<void> {
  await Promise.all([...live].map((child) => terminate(child, 3000)));
  live.clear();
}

function track(child: ChildProcess): ChildProcess {
  live.add(child);
  child.once("exit", () => live.delete(child));
  return child;
}

export interface AppProcess {
  readonly framework: Framework;
  readonly port: number;
  /** A keep-alive agent for this instance. */
  readonly agent: Agent;
  /** Everything the process wrote to stderr so far (tokengate's log lines). */
  stderr(): string;
  /** SIGTERM; resolves with the exit code once it has exited. */
  stop(): Promise<number | null>;
  /** Sends a signal, e.g. SIGSTOP and SIGCONT to stall the whole process as a long pause would. */
  signal(name: NodeJS.Signals): void;
}

export interface AppEnv {
  readonly pgUrl: string;
  readonly pgSchema: string;
  /** Leave out to run without a cache (the store on every request). */
  readonly redisUrl?: string;
  readonly redisPrefix?: string;
  /** Requests per minute per token, limited in Redis (fail-closed); leave out for no limit. */
  readonly rateLimit?: number;
}

/** Starts one app process and resolves once it prints `READY <port>`. */
export function startApp(framework: Framework, env: AppEnv): Promise<AppProcess> {
  const child = track(
    spawn(process.execPath, ["--import", "tsx", APP], {
      cwd: REPO_ROOT,
      env: {
        ...process.env,
        FRAMEWORK: framework,
        PG_URL: env.pgUrl,
        PG_SCHEMA: env.pgSchema,
        ...(env.redisUrl ? { REDIS_URL: env.redisUrl, REDIS_PREFIX: env.redisPrefix ?? "tokengate:" } : {}),
        ...(env.rateLimit ? { RATE_LIMIT: String(env.rateLimit) } : {}),
      },
      stdio: ["ignore", "pipe", "pipe"],
    }),
  );
  let out = "";
  let err = "";
  child.stderr!.on("data", (chunk: Buffer) => {
    err += chunk.toString();
  });
  return new Promise((ready, fail) => {
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      fail(new Error(`${framework} app did not start within 20 s; stderr: ${err}`));
    }, 20_000);
    const early = (code: number | null) => {
      clearTimeout(timer);
      fail(new Error(`${framework} app exited with ${code} before READY; stderr: ${err}`));
    };
    child.once("exit", early);
    const onData = (chunk: Buffer) => {
      out += chunk.toString();
      const match = /READY (\d+)/.exec(out);
      if (!match) return;
      clearTimeout(timer);
      child.off("exit", early);
      child.stdout!.off("data", onData);
      child.stdout!.resume();
      const agent = new Agent({ keepAlive: true, maxSockets: 8 });
      ready({
        framework,
        port: Number(match[1]),
        agent,
        stderr: () => err,
        signal: (name) => {
          child.kill(name);
        },
        async stop() {
          agent.destroy();
          await terminate(child, 5000);
          return child.exitCode;
        },
      });
    };
    child.stdout!.on("data", onData);
  });
}

/** Creates a personal token for `userId` through `app`'s admin router: its id and plain text. */
export async function createToken(
  app: AppProcess,
  userId: number,
  name: string,
): Promise<{ id: number; token: string }> {
  const res = await send(
    app.agent,
    app.port,
    "POST",
    "/api-tokens",
    { [SESSION_HEADER]: String(userId), "content-type": "application/json" },
    JSON.stringify({ tokenName: name, teamId: null, expirationDate: null }),
  );
  if (res.status !== 201)
    throw new Error(`create through ${app.framework} answered ${res.status}: ${res.body}`);
  return JSON.parse(res.body) as { id: number; token: string };
}

/** Revokes token `id` through `app`'s admin router, as its owner USER_ID. */
export function revokeToken(app: AppProcess, id: number): Promise<HttpResult> {
  return send(app.agent, app.port, "DELETE", `/api-tokens/${id}`, { [SESSION_HEADER]: String(USER_ID) });
}

/** The instance's cache health as `/health` reports it: degraded = reading the store only. */
export async function healthOf(app: AppProcess): Promise<{ degraded: boolean }> {
  return JSON.parse((await send(app.agent, app.port, "GET", "/health")).body) as { degraded: boolean };
}

/**
 * Polls until every instance's cache reports `degraded === wanted`; resolves with how long that
 * took, throws after `timeoutMs`.
 */
export async function untilDegraded(
  apps: readonly AppProcess[],
  wanted: boolean,
  timeoutMs: number,
): Promise<number> {
  const started = performance.now();
  for (;;) {
    const states = await Promise.all(apps.map(healthOf));
    if (states.every((s) => s.degraded === wanted)) return performance.now() - started;
    if (performance.now() - started > timeoutMs) {
      throw new Error(`instances did not become degraded=${wanted}: ${JSON.stringify(states)}`);
    }
    await new Promise((done) => setTimeout(done, 20));
  }
}

// ---- the fleet: one set-up and one tear-down for every multi-process suite ---------------------

/** The Redis a fleet's instances use, and how to stop it (or clean up after them) at the end. */
export interface FleetRedis {
  readonly url: string;
  stop(): Promise<void>;
}

/**
 * The machine's shared Redis: `stop()` deletes the keys the instances wrote under `prefix` and
 * leaves the server alone.
 */
export async function sharedRedis(prefix: string): Promise<FleetRedis> {
  return {
    url: redisUrl,
    async stop() {
      const client = new Redis(redisUrl);
      const keys = await client.keys(`${prefix}*`);
      if (keys.length > 0) await client.del(...keys);
      client.disconnect();
    },
  };
}

export interface FleetOptions<R extends FleetRedis> {
  /**
   * The instances' schema in the shared PostgreSQL: migrated, given the user USER_ID, dropped by
   * `stop()`. `null`: their pool points at a port nothing listens on, as in a store outage.
   */
  readonly schema: string | null;
  /** The prefix of every Redis key the instances write. */
  readonly redisPrefix: string;
  /**
   * Starts (or names) the Redis, given the prefix: `sharedRedis`, or one of the suite's own from
   * `@tokengate/test-support` (`() => startPrivateRedis()`, `() => startCluster()`, …). The fleet
   * stops it.
   */
  readonly redis: (prefix: string) => Promise<R>;
  /** Requests per minute per token, limited in Redis (fail-closed); leave out for no limit. */
  readonly rateLimit?: number;
  /** Waits until every instance's cache reports healthy, up to this long, before resolving. */
  readonly healthyWithinMs?: number;
}

export interface Fleet<R extends FleetRedis> {
  /** One instance per framework, in FRAMEWORKS order. */
  readonly apps: readonly AppProcess[];
  readonly redis: R;
  /**
   * Wakes any instance a test froze, stops each with SIGTERM (as a deploy would), then stops the
   * Redis, kills any child left and drops the schema. Resolves with each instance's exit code, for
   * the suite to check; cleans up all the same when an instance does not exit well.
   */
  stop(): Promise<Array<number | null>>;
}

/**
 * The set-up of every multi-process suite: the schema, the Redis, then one app process per framework
 * (in parallel), all on the same store and Redis. On a failure part-way, whatever was started is
 * stopped before the error is thrown, so `afterAll` has nothing to clean up.
 *
 * @example
 * let fleet: Fleet<FleetRedis> | undefined;
 * beforeAll(async () => {
 *   fleet = await startFleet({ schema: `tg_x_${process.pid}`, redisPrefix: "tg-x:", redis: sharedRedis });
 * }, 30_000);
 * afterAll(async () => {
 *   const codes = await fleet?.stop();
 *   expect(codes).toEqual(fleet?.apps.map(() => 0));
 * });
 */
export async function startFleet<R extends FleetRedis>(options: FleetOptions<R>): Promise<Fleet<R>> {
  const { schema, redisPrefix } = options;
  let pool: Pool | undefined;
  let redis: R | undefined;
  let apps: AppProcess[] = [];
  const stop = async (): Promise<Array<number | null>> => {
    for (const app of apps) app.signal("SIGCONT");
    const codes = await Promise.all(apps.map((app) => app.stop()));
    await redis?.stop();
    await killAllChildren();
    if (pool && schema !== null) {
      await pool.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
      await pool.end();
    }
    return codes;
  };
  try {
    let pgUrl = postgresUrl;
    if (schema === null) {
      pgUrl = `postgres://postgres@127.0.0.1:${await freePort()}/test`;
    } else {
      pool = new Pool({ connectionString: postgresUrl, max: 2 });
      await migrate(pool, { schema });
      await new PostgresDirectory(pool, { schema }).upsertUser({
        id: USER_ID,
        name: "Ada",
        email: "ada@example.com",
        disabled: false,
      });
    }
    redis = await options.redis(redisPrefix);
    const url = redis.url;
    apps = await Promise.all(
      FRAMEWORKS.map((framework) =>
        startApp(framework, {
          pgUrl,
          pgSchema: schema ?? "tokengate_unreachable",
          redisUrl: url,
          redisPrefix,
          ...(options.rateLimit === undefined ? {} : { rateLimit: options.rateLimit }),
        }),
      ),
    );
    if (options.healthyWithinMs !== undefined) await untilDegraded(apps, false, options.healthyWithinMs);
  } catch (error) {
    await stop().catch(() => {});
    throw error;
  }
  return { apps, redis, stop };
}
