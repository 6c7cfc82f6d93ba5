/**
 * The demo server the browser tests drive: the real `tokengate serve` in a child process, on a
 * free port and a SQLite file of its own, exactly as a newcomer starts it.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";

const REPO_ROOT = resolve(__dirname, "../..");
const BIN = resolve(REPO_ROOT, "packages/cli/bin/tokengate.cjs");

export interface DemoServer {
  /** e.g. http://127.0.0.1:43121 */
  readonly baseUrl: string;
  /** The SQLite file the server keeps its tokens and users in. */
  readonly databaseFile: string;
  stop(): Promise<void>;
}

export function startDemoServer(framework: "hono" | "express" | "koa" = "hono"): Promise<DemoServer> {
  const dir = mkdtempSync(join(tmpdir(), "tokengate-ui-"));
  const databaseFile = join(dir, "demo.db");
  const child: ChildProcess = spawn(
    process.execPath,
    [BIN, "serve", "--framework", framework, "--port", "0", "--store", `sqlite:${databaseFile}`],
    { cwd: REPO_ROOT, env: { ...process.env, INIT_CWD: REPO_ROOT }, stdio: ["ignore", "pipe", "pipe"] },
  );
  let out = "";
  let err = "";
  child.stderr!.on("data", (chunk: Buffer) => {
    err += chunk.toString();
  });
  const exited = new Promise<void>((done) => child.once("exit", () => done()));
  return new Promise((resolveStart, reject) => {
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`tokengate serve did not start in 20 s; stderr: ${err}`));
    }, 20_000);
    child.once("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`tokengate serve exited with ${code} before listening; stderr: ${err}`));
    });
    child.stdout!.on("data", (chunk: Buffer) => {
      out += chunk.toString();
      const match = /listening on (http:\/\/\S+)/.exec(out);
      if (!match) return;
      clearTimeout(timer);
      resolveStart({
        baseUrl: match[1]!,
        databaseFile,
        async stop() {
          child.kill("SIGTERM");
          await exited;
          rmSync(dir, { recursive: true, force: true });
        },
      });
    });
  });
}
