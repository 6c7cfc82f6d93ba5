/**
 * Runs the real `tokengate` binary in child processes, as a user would: the tests see exactly what
 * a terminal sees (stdout, stderr, exit code) and nothing of the CLI's insides.
 */
import { type ChildProcess, execFile, spawn } from "node:child_process";
import { createServer, type Socket } from "node:net";
import { resolve } from "node:path";

export const REPO_ROOT = resolve(__dirname, "../../..");
const BIN = resolve(REPO_ROOT, "packages/cli/bin/tokengate.cjs");

export interface CliResult {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs `tokengate ...args` to completion. */
export function runTokengate(args: readonly string[], baseDir = REPO_ROOT): Promise<CliResult> {
  return runProcess(process.execPath, [BIN, ...args], baseDir);
}

/** What `runTokengate` returns, and how long the process took from spawn to exit. */
export interface TimedCliResult extends CliResult {
  readonly ms: number;
}

/** Runs `tokengate ...args` to completion and times it. */
export async function runTokengateTimed(
  args: readonly string[],
  baseDir = REPO_ROOT,
): Promise<TimedCliResult> {
  const started = performance.now();
  const result = await runTokengate(args, baseDir);
  return { ...result, ms: performance.now() - started };
}

/** A TCP port on 127.0.0.1 that accepts connections and never answers: a hung Redis or PostgreSQL. */
export interface BlackHole {
  readonly port: number;
  close(): Promise<void>;
}

export function startBlackHole(): Promise<BlackHole> {
  const sockets = new Set<Socket>();
  const server = createServer((socket) => {
    sockets.add(socket);
    socket.on("data", () => {});
    socket.on("error", () => {});
    socket.on("close", () => sockets.delete(socket));
  });
  return new Promise((done, fail) => {
    server.once("error", fail);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as { port: number };
      done({
        port,
        close: () =>
          new Promise<void>((closed) => {
            for (const socket of sockets) socket.destroy();
            server.close(() => closed());
          }),
      });
    });
  });
}

/** A port on 127.0.0.1 that was free a moment ago and has nothing listening: connections are refused. */
export function closedPort(): Promise<number> {
  const server = createServer();
  return new Promise((done, fail) => {
    server.once("error", fail);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as { port: number };
      server.close(() => done(port));
    });
  });
}

/** Runs a shell script with `sh -c`, with extra environment variables. */
export function runShell(script: string, env: Record<string, string> = {}): Promise<CliResult> {
  return runProcess("sh", ["-c", script], REPO_ROOT, env);
}

function runProcess(
  file: string,
  args: readonly string[],
  baseDir: string,
  env: Record<string, string> = {},
): Promise<CliResult> {
  return new Promise((done) => {
    execFile(
      file,
      [...args],
      { cwd: REPO_ROOT, env: { ...process.env, INIT_CWD: baseDir, ...env }, timeout: 20_000 },
      (error, stdout, stderr) => {
        const code = error ? (typeof error.code === "number" ? error.code : null) : 0;
        done({ code, stdout, stderr });
      },
    );
  });
}

/** A `tokengate serve` process, with everything it printed so far. */
export interface ServeProcess {
  readonly child: ChildProcess;
  /** The banner, once the server listens. */
  readonly banner: string;
  readonly port: number;
  readonly baseUrl: string;
  stderr(): string;
  /** SIGTERM, then waits for the exit; resolves with the exit code. */
  stop(): Promise<number | null>;
}

/** Starts `tokengate serve ...args` and resolves when it prints its address (rejects if it exits first). */
export function startServe(args: readonly string[], baseDir = REPO_ROOT): Promise<ServeProcess> {
  const child = spawn(process.execPath, [BIN, "serve", ...args], {
    cwd: REPO_ROOT,
    env: { ...process.env, INIT_CWD: baseDir },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let out = "";
  let err = "";
  const exited = new Promise<number | null>((done) => child.once("exit", (code) => done(code)));
  child.stderr!.on("data", (chunk: Buffer) => {
    err += chunk.toString();
  });
  return new Promise((resolveStart, reject) => {
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`serve did not start in time; stderr: ${err}`));
    }, 20_000);
    child.once("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`serve exited with ${code} before listening; stderr: ${err}`));
    });
    child.stdout!.on("data", (chunk: Buffer) => {
      out += chunk.toString();
      const match = /listening on (http:\/\/\S+:(\d+))\n/.exec(out);
      // The banner is written in one piece; wait for its last line.
      if (!match || !out.includes(" token revoke <id>")) return;
      clearTimeout(timer);
      resolveStart({
        child,
        banner: out,
        port: Number(match[2]),
        baseUrl: match[1]!,
        stderr: () => err,
        async stop() {
          if (child.exitCode === null && child.signalCode === null) child.kill("SIGTERM");
          return exited;
        },
      });
    });
  });
}

/**
 * The shell block of the banner: from the first comment through the `/api/v1/me` curl, verbatim.
 */
export function printedCommands(banner: string): string {
  const lines = banner.split("\n");
  const start = lines.findIndex((line) => line.startsWith("# Create a token"));
  const end = lines.findIndex((line) => line.startsWith("curl ") && line.includes("/api/v1/me"));
  if (start < 0 || end < start) throw new Error(`no curl commands in the banner:\n${banner}`);
  return lines.slice(start, end + 1).join("\n");
}
