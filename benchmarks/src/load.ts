/** The load generator: autocannon against one server, and the server processes it drives. */
import { type ChildProcess, fork } from "node:child_process";
import { mkdirSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import autocannon from "autocannon";
import type { Contender, ServerReady, ServerSettings } from "./contenders";

const HERE = dirname(fileURLToPath(import.meta.url));

export interface RunningServer {
  readonly contender: Contender;
  readonly url: string;
  readonly token: string;
  stop(): Promise<void>;
}

/**
 * Forks a contender's server under tsx and waits for it to listen. With `profileDir`, the child
 * runs with `--cpu-prof` and writes its profile there when stopped.
 */
export function startServer(
  settings: ServerSettings,
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
    child.once("exit", (code) => {
      clearTimeout(timer);
      resolve({ unavailable: `exited with code ${code}` });
    });
    child.once("message", (message: ServerReady) => {
      clearTimeout(timer);
      if (message.type === "unavailable") {
        child.kill();
        resolve({ unavailable: message.reason });
        return;
      }
      resolve({
        contender: settings.contender,
        url: `http://127.0.0.1:${message.port}/hello`,
        token: message.token,
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
  readonly p50Ms: number;
  readonly p99Ms: number;
  /** Responses that were not 2xx, plus socket errors and timeouts: any makes the result suspect. */
  readonly failures: number;
}

export async function measure(
  server: RunningServer,
  seconds: number,
  connections: number,
): Promise<LoadResult> {
  const result = await autocannon({
    url: server.url,
    connections,
    duration: seconds,
    headers: { authorization: `Bearer ${server.token}` },
  });
  return {
    requestsPerSecond: result.requests.average,
    p50Ms: result.latency.p50,
    p99Ms: result.latency.p99,
    failures: result.non2xx + result.errors + result.timeouts,
  };
}
