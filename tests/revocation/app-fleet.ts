/**
 * Child processes for the revocation tests: tokengate app instances (`app-process.ts`) and a
 * private redis-server that a test may kill without touching the machine's shared Redis.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { Agent, request } from "node:http";
import { createServer } from "node:net";
import { resolve } from "node:path";
import { redisServerPath } from "@tokengate/test-support";

export const REPO_ROOT = resolve(__dirname, "../..");
const APP = resolve(__dirname, "app-process.ts");
const REDIS_SERVER = redisServerPath ?? "redis-server";

export type Framework = "hono" | "express" | "koa";
export const FRAMEWORKS: readonly Framework[] = ["hono", "express", "koa"];

/** The header that stands in for the application's session in the app processes. */
export const SESSION_HEADER = "x-test-user";

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

/** A port nothing listens on: bound, then released. */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((done) => server.listen(0, "127.0.0.1", done));
  const address = server.address();
  await new Promise<void>((done) => server.close(() => done()));
  if (address === null || typeof address === "string") throw new Error("no port");
  return address.port;
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

/** A redis-server of the test's own: no persistence, so a restart comes back empty. */
export interface PrivateRedis {
  readonly port: number;
  readonly url: string;
  /** SIGKILL: the connections drop at once, as in a crash. Resolves once it has exited. */
  kill(): Promise<void>;
  /** Starts it again on the same port. */
  restart(): Promise<void>;
  stop(): Promise<void>;
}

function spawnRedis(port: number): Promise<ChildProcess> {
  const child = track(
    spawn(
      REDIS_SERVER,
      [
        "--port",
        String(port),
        "--bind",
        "127.0.0.1",
        "--save",
        "",
        "--appendonly",
        "no",
        "--daemonize",
        "no",
      ],
      { stdio: ["ignore", "pipe", "ignore"] },
    ),
  );
  let out = "";
  return new Promise((ready, fail) => {
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      fail(new Error(`redis-server did not start on ${port}: ${out}`));
    }, 10_000);
    const early = (code: number | null) => {
      clearTimeout(timer);
      fail(new Error(`redis-server exited with ${code}: ${out}`));
    };
    child.once("exit", early);
    const onData = (chunk: Buffer) => {
      out += chunk.toString();
      if (!out.includes("Ready to accept connections")) return;
      clearTimeout(timer);
      child.off("exit", early);
      // Its later output (the shutdown log) is drained, not parsed.
      child.stdout!.off("data", onData);
      child.stdout!.resume();
      ready(child);
    };
    child.stdout!.on("data", onData);
  });
}

/** Starts a private redis-server on a free port. */
export async function startPrivateRedis(): Promise<PrivateRedis> {
  const port = await freePort();
  let child = await spawnRedis(port);
  return {
    port,
    url: `redis://127.0.0.1:${port}`,
    async kill() {
      child.kill("SIGKILL");
      await exited(child);
    },
    async restart() {
      child = await spawnRedis(port);
    },
    async stop() {
      await terminate(child, 3000);
    },
  };
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
