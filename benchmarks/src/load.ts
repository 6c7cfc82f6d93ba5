/**
 * The servers under load: each contender's server is its own process, pinned to the server core,
 * and every measurement reads that process's own CPU time over the measured window.
 */
import { type ChildProcess, fork } from "node:child_process";
import { mkdirSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import type { Contender, ServerMessage, ServerSettings } from "./contenders";
import type { LoadGenerator, LoadRun } from "./load-generator";
import { pinProcess } from "./pinning";

const HERE = dirname(fileURLToPath(import.meta.url));

export interface RunningServer {
  readonly contender: Contender;
  readonly url: string;
  readonly token: string;
  /** The server process's CPU time so far (user + system, all its threads), in µs. */
  cpuMicros(): Promise<number>;
  stop(): Promise<void>;
}

/**
 * Forks a contender's server under tsx and waits for it to listen. With `profileDir`, the child
 * runs with `--cpu-prof` and writes its profile there when stopped. With `core`, the server is
 * pinned to it once it listens: it starts on every core (twenty-odd TypeScript processes compile
 * faster on two), and is measured on one.
 */
export function startServer(
  settings: ServerSettings,
  core: number | null,
  profileDir?: string,
): Promise<RunningServer | { unavailable: string }> {
  const execArgv = ["--import", "tsx"];
  if (profileDir) {
    mkdirSync(profileDir, { recursive: true });
    execArgv.push("--cpu-prof", `--cpu-prof-dir=${profileDir}`);
  }
  const child: ChildProcess = fork(join(HERE, "server.ts"), [JSON.stringify(settings)], {
    execArgv,
    stdio: ["ignore", "inherit", "inherit", "ipc"],
  });
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      child.kill();
      resolve({ unavailable: "did not start within 60 s" });
    }, 60_000);
    // Answers to "cpu", in the order asked; a server that dies answers NaN, so the run goes on.
    const waiting: Array<(micros: number) => void> = [];
    child.once("exit", (code) => {
      clearTimeout(timer);
      for (const answer of waiting.splice(0)) answer(Number.NaN);
      resolve({ unavailable: `exited with code ${code}` });
    });
    child.on("message", (message: ServerMessage) => {
      if (message.type === "cpu") waiting.shift()?.(message.micros);
    });
    child.once("message", (message: ServerMessage) => {
      clearTimeout(timer);
      if (message.type === "unavailable") {
        child.kill();
        resolve({ unavailable: message.reason });
        return;
      }
      if (message.type !== "ready") return;
      const problem = core === null || child.pid === undefined ? null : pinProcess(child.pid, core);
      if (problem) {
        child.kill();
        resolve({ unavailable: `could not pin it to core ${core}: ${problem}` });
        return;
      }
      resolve({
        contender: settings.contender,
        url: `http://127.0.0.1:${message.port}/hello`,
        token: message.token,
        cpuMicros: () =>
          new Promise<number>((answer) => {
            if (!child.connected) return answer(Number.NaN);
            waiting.push(answer);
            child.send("cpu");
          }),
        stop: () =>
          new Promise<void>((done) => {
            if (child.exitCode !== null) return done();
            const kill = setTimeout(() => child.kill("SIGKILL"), 10_000);
            child.once("exit", () => {
              clearTimeout(kill);
              done();
            });
            child.send("stop");
          }),
      });
    });
  });
}

/** Confirms the server says 200 to its token and 401 to a wrong one before it is measured. */
export async function checkServer(server: RunningServer): Promise<string | null> {
  const good = await fetch(server.url, { headers: { authorization: `Bearer ${server.token}` } });
  await good.arrayBuffer();
  if (good.status !== 200) return `answered ${good.status} to its own token`;
  if (server.contender.kind === "baseline") return null;
  const bad = await fetch(server.url, { headers: { authorization: "Bearer api_zzzzzzzzzzzzzzzz" } });
  await bad.arrayBuffer();
  if (bad.status !== 401) return `answered ${bad.status} to an unknown token`;
  return null;
}

export interface LoadResult {
  readonly requestsPerSecond: number;
  /** The server's own CPU time over the measured window, divided by the requests it served. */
  readonly cpuMicrosPerRequest: number;
  /** The server's CPU time over the load's wall time: near 1 when the load saturates its core. */
  readonly busy: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  /** Responses that were not 2xx, plus socket errors and timeouts: any makes the result suspect. */
  readonly failures: number;
}

/**
 * One measured window: the server's CPU time is read just before the load generator starts and
 * just after it exits, while the server is idle, so the difference is what serving the window's
 * requests cost it (timers of its own, like the usage tracker's flush, included: an application
 * pays for them too).
 */
export async function measure(
  server: RunningServer,
  generator: LoadGenerator,
  seconds: number,
  connections: number,
): Promise<LoadResult> {
  const before = await server.cpuMicros();
  let run: LoadRun;
  try {
    run = await generator.run(server.url, server.token, seconds, connections);
  } catch (error) {
    // One failed window marks its row (⚠) instead of ending the whole run.
    process.stderr.write(
      `[bench] ${server.contender.id}: ${error instanceof Error ? error.message : error}\n`,
    );
    run = { requests: 0, seconds, p50Ms: Number.NaN, p99Ms: Number.NaN, failures: 1 };
  }
  const cpu = (await server.cpuMicros()) - before;
  return {
    requestsPerSecond: run.requests > 0 ? run.requests / run.seconds : Number.NaN,
    cpuMicrosPerRequest: run.requests > 0 ? cpu / run.requests : Number.NaN,
    busy: cpu / (run.seconds * 1e6),
    p50Ms: run.p50Ms,
    p99Ms: run.p99Ms,
    failures: run.failures,
  };
}
