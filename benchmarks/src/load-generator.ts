/**
 * The load generator, always its own process on its own core (see pinning.ts). wrk when it is
 * there: written in C, one of its threads keeps a one-core Node server saturated while spending a
 * fraction of a core itself, and it measures latency in microseconds. A fresh Debian machine gets it
 * from the system packages (we install it when running as root, as scripts/bootstrap.sh does for
 * Chromium). Otherwise autocannon, run from its own command line in a pinned process: the same
 * method, but a Node load generator needs most of its core to keep up with the fastest servers,
 * so the report says which one ran.
 */
import { spawn, spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { onCore } from "./pinning";

const HERE = dirname(fileURLToPath(import.meta.url));
const WRK_SCRIPT = join(HERE, "wrk-report.lua");

/** What one load run saw, from the load generator's side. */
export interface LoadRun {
  /** Responses received. */
  readonly requests: number;
  readonly seconds: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  /** Non-2xx answers, socket errors and timeouts: any makes the result suspect. */
  readonly failures: number;
}

export interface LoadGenerator {
  /** e.g. `wrk 4.1.0` */
  readonly name: string;
  /** Why this one ran: a line for the report. */
  readonly why: string;
  run(url: string, token: string, seconds: number, connections: number): Promise<LoadRun>;
}

export type LoadChoice = "auto" | "wrk" | "autocannon";

/** Runs a command to the end and returns its stdout; rejects with its stderr when it fails. */
function capture(command: string, args: readonly string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    let err = "";
    child.stdout.setEncoding("utf8").on("data", (chunk: string) => {
      out += chunk;
    });
    child.stderr.setEncoding("utf8").on("data", (chunk: string) => {
      err += chunk;
    });
    child.once("error", reject);
    child.once("close", (code) => {
      if (code === 0) resolve(out);
      else reject(new Error(`${command} ${args.join(" ")} exited with ${code}: ${err.trim().slice(-500)}`));
    });
  });
}

/** `wrk 4.1.0 [epoll] …` → `wrk 4.1.0`, or null when wrk is not on PATH. */
function wrkVersion(): string | null {
  const probe = spawnSync("wrk", ["-v"], { encoding: "utf8" });
  if (probe.error) return null;
  return /^wrk \S+/.exec(`${probe.stdout}${probe.stderr}`.trim())?.[0] ?? "wrk";
}

/**
 * Installs Debian's wrk when we may (root, apt-get): `apt-get install`, and once more after
 * `apt-get update` when the package lists are stale. Returns why not, or null once it is there.
 */
function installWrk(log: (message: string) => void): string | null {
  if (process.platform !== "linux" || process.getuid?.() !== 0) return "not root on Linux";
  if (spawnSync("apt-get", ["--version"]).error) return "no apt-get";
  const env = { ...process.env, DEBIAN_FRONTEND: "noninteractive" };
  const install = () =>
    spawnSync("apt-get", ["install", "-y", "-qq", "wrk"], { env, stdio: ["ignore", "ignore", "pipe"] });
  log("wrk is missing: installing Debian's wrk with apt-get");
  let result = install();
  if (result.status !== 0) {
    spawnSync("apt-get", ["update", "-qq"], { env, stdio: "ignore" });
    result = install();
  }
  if (result.status === 0 && wrkVersion() !== null) return null;
  return `apt-get install wrk failed: ${result.stderr?.toString().trim().split("\n").pop() ?? "?"}`;
}

function wrk(version: string, core: number | null, why: string): LoadGenerator {
  return {
    name: version,
    why,
    async run(url, token, seconds, connections) {
      const [command, args] = onCore(core, "wrk", [
        "-t1",
        `-c${connections}`,
        `-d${Math.max(1, Math.round(seconds))}s`,
        "--timeout",
        "10s",
        "-H",
        `Authorization: Bearer ${token}`,
        "-s",
        WRK_SCRIPT,
        url,
      ]);
      const out = await capture(command, args);
      const line = out.split("\n").find((l) => l.startsWith("BENCH_JSON "));
      if (!line) throw new Error(`wrk printed no summary: ${out.slice(-500)}`);
      const r = JSON.parse(line.slice("BENCH_JSON ".length)) as Record<
        "requests" | "durationUs" | "p50Us" | "p99Us" | "connect" | "read" | "write" | "status" | "timeout",
        number
      >;
      return {
        requests: r.requests,
        seconds: r.durationUs / 1e6,
        p50Ms: r.p50Us / 1000,
        p99Ms: r.p99Us / 1000,
        failures: r.connect + r.read + r.write + r.status + r.timeout,
      };
    },
  };
}

function autocannon(core: number | null, why: string): LoadGenerator {
  const require = createRequire(import.meta.url);
  const cli = require.resolve("autocannon/autocannon.js");
  const { version } = JSON.parse(readFileSync(join(dirname(cli), "package.json"), "utf8")) as {
    version: string;
  };
  return {
    name: `autocannon ${version}`,
    why,
    async run(url, token, seconds, connections) {
      const [command, args] = onCore(core, process.execPath, [
        cli,
        "-j",
        "-c",
        String(connections),
        "-d",
        String(Math.max(1, Math.round(seconds))),
        "-H",
        `authorization:Bearer ${token}`,
        url,
      ]);
      const r = JSON.parse(await capture(command, args)) as {
        requests: { total: number };
        duration: number;
        latency: { p50: number; p99: number };
        non2xx: number;
        errors: number;
        timeouts: number;
      };
      return {
        requests: r.requests.total,
        seconds: r.duration,
        p50Ms: r.latency.p50,
        p99Ms: r.latency.p99,
        failures: r.non2xx + r.errors + r.timeouts,
      };
    },
  };
}

/**
 * wrk if present (or installable), else autocannon with a printed line saying why. `--load=`
 * forces one; a forced wrk that cannot be had is an error, not a silent fallback.
 */
export function chooseLoadGenerator(
  choice: LoadChoice,
  core: number | null,
  log: (message: string) => void,
): LoadGenerator {
  if (choice === "autocannon") return autocannon(core, "chosen with --load=autocannon");
  let version = wrkVersion();
  let installed = false;
  let problem: string | null = null;
  if (version === null) {
    problem = installWrk(log);
    version = wrkVersion();
    installed = version !== null;
  }
  if (version !== null) {
    return wrk(
      version,
      core,
      `${installed ? "installed from the system packages for this run; " : ""}` +
        "a C load generator that saturates a one-core server using a fraction of its own core",
    );
  }
  if (choice === "wrk") throw new Error(`--load=wrk, but wrk is missing (${problem})`);
  const why = `wrk is missing and could not be installed (${problem}): falling back to autocannon in its own process, which may not saturate the fastest servers`;
  log(why);
  return autocannon(core, why);
}
