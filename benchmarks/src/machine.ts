/** What the numbers were measured on: they mean nothing without it. */
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import * as os from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const BENCH_DIR = join(dirname(fileURLToPath(import.meta.url)), "..");

function versionOf(packageJson: string): string {
  try {
    return (JSON.parse(readFileSync(packageJson, "utf8")) as { version?: string }).version ?? "?";
  } catch {
    return "not installed";
  }
}

function commit(): string {
  try {
    const hash = execFileSync("git", ["rev-parse", "--short", "HEAD"], { cwd: BENCH_DIR, encoding: "utf8" });
    // results/ is what this run writes: a previous run's files there do not change what is measured.
    const dirty = execFileSync("git", ["status", "--porcelain", "--", ".", ":(exclude)results"], {
      cwd: BENCH_DIR,
      encoding: "utf8",
    });
    return `${hash.trim()}${dirty.trim() ? " (benchmarks/ modified)" : ""}`;
  } catch {
    return "unknown";
  }
}

/** A markdown bullet list describing the machine, the runtime and the versions under test. */
export function describeMachine(): string {
  const cpus = os.cpus();
  const models = [...new Set(cpus.map((c) => c.model.trim()))].join(", ");
  const dep = (name: string) => versionOf(join(BENCH_DIR, "node_modules", name, "package.json"));
  return [
    `- CPU: ${models || "unknown"} × ${cpus.length} (load average ${os
      .loadavg()
      .map((l) => l.toFixed(2))
      .join(" ")} at start)`,
    `- Memory: ${(os.totalmem() / 2 ** 30).toFixed(1)} GiB`,
    `- OS: ${os.type()} ${os.release()} (${os.arch()})`,
    `- Node.js: ${process.version}`,
    `- tokengate: ${versionOf(join(BENCH_DIR, "..", "packages", "core", "package.json"))} at ${commit()}`,
    `- hono ${dep("hono")}, @hono/node-server ${dep("@hono/node-server")}, express ${dep("express")}, koa ${dep("koa")}`,
    `- better-auth ${dep("better-auth")}, @better-auth/api-key ${dep("@better-auth/api-key")}, passport ${dep("passport")}, passport-http-bearer ${dep("passport-http-bearer")}`,
    `- autocannon ${dep("autocannon")}, better-sqlite3 ${dep("better-sqlite3")}, pg ${dep("pg")}, ioredis ${dep("ioredis")}`,
  ].join("\n");
}
