/**
 * `pnpm bench` — tokengate against a no-auth baseline, a hand-written ideal and its peers, on one
 * machine, over loopback, one load generator. Prints the tables and writes them to
 * benchmarks/results/. It reports; it never fails a run for missing a target.
 *
 * Options (all optional):
 *   --quick              short runs: 5 rounds of 1 s, 1k/10k tokens, for CI
 *   --rounds=N           rounds of the HTTP benchmark (contenders alternate within each round)
 *   --duration=S         whole seconds of load per contender per round
 *   --warmup=S           whole seconds of unmeasured load per contender before the first round
 *   --connections=N      load generator connections (default 10)
 *   --load=wrk|autocannon  force a load generator (default: wrk, installed when missing and
 *                        allowed, else autocannon in its own pinned process)
 *   --no-pin             leave servers and load generator unpinned (for comparison only)
 *   --sizes=A,B,C        table sizes for the cold-miss measurement
 *   --samples=N          cold-miss lookups per size
 *   --only=TEXT[,TEXT]   only HTTP contenders whose id contains one TEXT (e.g. --only=hono/)
 *   --profile=ID         run that contender's server with --cpu-prof (profiles in .data/profiles)
 *   --skip-http, --skip-micro, --skip-cold, --no-write
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { migrate } from "@tokengate/postgres";
import Redis from "ioredis";
import pg from "pg";
import { type BenchCluster, startBenchCluster } from "./cluster";
import { CONTENDERS, type Contender, type ServerSettings } from "./contenders";
import { DATA_DIR, ensurePostgresDataset, ensureSqliteDataset } from "./dataset";
import type { GateEnvironment } from "./gates";
import { checkServer, measure, type RunningServer, startServer } from "./load";
import { chooseLoadGenerator, type LoadChoice, type LoadGenerator } from "./load-generator";
import { describeMachine } from "./machine";
import {
  type ColdMissRow,
  measureColdPostgres,
  measureColdSqlite,
  measureWarmVerify,
  type VerifyTiming,
} from "./micro";
import { type CorePlan, planCores } from "./pinning";
import { coldTable, type HttpSeries, httpTable, targetVerdicts, verifyTable } from "./report";

const RESULTS_DIR = join(dirname(fileURLToPath(import.meta.url)), "..", "results");
const POSTGRES_URL = process.env.BENCH_POSTGRES_URL ?? "postgres://postgres@127.0.0.1:5432/test";
const REDIS_URL = process.env.BENCH_REDIS_URL ?? "redis://127.0.0.1:6379";
const REDIS_PREFIX = "bench:";
/** The table the HTTP servers read: small, since every row there measures a hit on one token. */
const HTTP_TABLE_SIZE = 1_000;

interface Options {
  quick: boolean;
  rounds: number;
  duration: number;
  warmup: number;
  connections: number;
  load: LoadChoice;
  pin: boolean;
  sizes: number[];
  samples: number;
  verifyCalls: number;
  only: string | undefined;
  profile: string | undefined;
  http: boolean;
  micro: boolean;
  cold: boolean;
  write: boolean;
}

function parseOptions(argv: readonly string[]): Options {
  const flags = new Map<string, string>();
  for (const arg of argv) {
    if (arg === "--") continue;
    const match = /^--([a-z-]+)(?:=(.*))?$/.exec(arg);
    if (!match) throw new Error(`unknown argument: ${arg}`);
    flags.set(match[1]!, match[2] ?? "true");
  }
  const quick = flags.has("quick");
  const number = (name: string, fallback: number) => {
    const raw = flags.get(name);
    if (raw === undefined) return fallback;
    const value = Number(raw);
    if (!Number.isFinite(value) || value <= 0) throw new Error(`--${name} must be a positive number`);
    return value;
  };
  const seconds = (name: string, fallback: number) => {
    const value = number(name, fallback);
    if (!Number.isInteger(value)) throw new Error(`--${name} must be whole seconds (wrk takes no fractions)`);
    return value;
  };
  const load = flags.get("load") ?? "auto";
  if (load !== "auto" && load !== "wrk" && load !== "autocannon") {
    throw new Error("--load must be wrk or autocannon");
  }
  const sizes =
    flags.get("sizes")?.split(",").map(Number) ?? (quick ? [1_000, 10_000] : [1_000, 100_000, 1_000_000]);
  if (sizes.some((s) => !Number.isInteger(s) || s < 1)) throw new Error("--sizes must be positive integers");
  return {
    quick,
    rounds: number("rounds", 5),
    duration: seconds("duration", quick ? 1 : 5),
    warmup: seconds("warmup", quick ? 1 : 2),
    connections: number("connections", 10),
    load,
    pin: !flags.has("no-pin"),
    sizes,
    samples: number("samples", quick ? 2_000 : 20_000),
    verifyCalls: number("verify-calls", quick ? 100_000 : 1_000_000),
    only: flags.get("only"),
    profile: flags.get("profile"),
    http: !flags.has("skip-http"),
    micro: !flags.has("skip-micro"),
    cold: !flags.has("skip-cold"),
    write: !flags.has("no-write"),
  };
}

const log = (message: string) => process.stderr.write(`[bench] ${message}\n`);

/** How busy the machine's cores were over one second (Linux `/proc/stat`), before we add any work; null elsewhere. */
async function machineBusy(): Promise<number | null> {
  const sample = () => {
    const fields = readFileSync("/proc/stat", "utf8")
      .split("\n")[0]!
      .trim()
      .split(/\s+/)
      .slice(1)
      .map(Number);
    const idle = fields[3]! + (fields[4] ?? 0);
    return { idle, total: fields.reduce((a, b) => a + b, 0) };
  };
  try {
    const a = sample();
    await new Promise((resolve) => setTimeout(resolve, 1000));
    const b = sample();
    return b.total > a.total ? 1 - (b.idle - a.idle) / (b.total - a.total) : null;
  } catch {
    return null;
  }
}

/** Removes only our keys: other engineers' tests share this Redis. SCAN, not KEYS, so Redis never blocks. */
async function flushRedisPrefix(): Promise<string | null> {
  const redis = new Redis(REDIS_URL, {
    lazyConnect: true,
    maxRetriesPerRequest: 1,
    retryStrategy: () => null,
  });
  try {
    await redis.connect();
    let cursor = "0";
    do {
      const [next, keys] = await redis.scan(cursor, "MATCH", `${REDIS_PREFIX}*`, "COUNT", 1000);
      cursor = next;
      if (keys.length > 0) await redis.del(...keys);
    } while (cursor !== "0");
    return null;
  } catch (error) {
    return error instanceof Error ? error.message : String(error);
  } finally {
    redis.disconnect();
  }
}

async function runHttp(
  options: Options,
  env: GateEnvironment,
  cores: CorePlan,
  generator: LoadGenerator,
): Promise<HttpSeries[]> {
  const wanted = options.only?.split(",");
  const contenders = CONTENDERS.filter((c) => !wanted || wanted.some((text) => c.id.includes(text)));
  const series = new Map<string, HttpSeries>();
  const servers: RunningServer[] = [];
  const start = async (contender: Contender) => {
    const settings: ServerSettings = { contender, ...env };
    const profileDir = options.profile === contender.id ? join(DATA_DIR, "profiles") : undefined;
    const started = await startServer(settings, cores.server, profileDir);
    if ("unavailable" in started) {
      series.set(contender.id, { contender, rounds: [], unavailable: started.unavailable });
      return;
    }
    const problem = await checkServer(started).catch((e: unknown) =>
      e instanceof Error ? e.message : String(e),
    );
    if (problem) {
      await started.stop();
      series.set(contender.id, { contender, rounds: [], unavailable: `broken: ${problem}` });
      return;
    }
    servers.push(started);
    series.set(contender.id, { contender, rounds: [] });
  };
  // A few at a time: starting twenty TypeScript processes at once on two cores only thrashes.
  log(`starting ${contenders.length} servers`);
  const startedAt = performance.now();
  for (let i = 0; i < contenders.length; i += 3) await Promise.all(contenders.slice(i, i + 3).map(start));
  log(`servers up in ${((performance.now() - startedAt) / 1000).toFixed(1)}s`);

  try {
    // Idle servers cost nothing, so all stay up and the contenders alternate within every round.
    const running = contenders.flatMap((c) => servers.filter((s) => s.contender.id === c.id));
    log(`warming ${running.length} servers for ${options.warmup}s each`);
    for (const server of running) await measure(server, generator, options.warmup, options.connections);
    for (let round = 0; round < options.rounds; round++) {
      log(`round ${round + 1}/${options.rounds}: ${options.duration}s per contender`);
      // Rotate the order so that no contender always runs right after the same neighbour.
      const offset = (round * 7) % running.length;
      for (const server of [...running.slice(offset), ...running.slice(0, offset)]) {
        const result = await measure(server, generator, options.duration, options.connections);
        series.get(server.contender.id)!.rounds.push(result);
      }
    }
  } finally {
    await Promise.all(servers.map((s) => s.stop()));
  }
  // Rounds were recorded in each round's order; ratios pair them by round index, which still holds.
  return contenders.map((c) => series.get(c.id)!);
}

async function main(): Promise<void> {
  const options = parseOptions(process.argv.slice(2));
  const startedAt = new Date();
  const othersBusy = await machineBusy();
  if (othersBusy !== null && othersBusy >= 0.1) {
    log(`not a quiet machine: the cores were ${(othersBusy * 100).toFixed(0)}% busy before the run`);
  }
  const machine = describeMachine();
  log(`mode: ${options.quick ? "quick" : "full"}`);

  const sizes = [...new Set([HTTP_TABLE_SIZE, ...options.sizes])].sort((a, b) => a - b);
  const sqliteFiles = new Map<number, string>();
  for (const size of sizes) {
    const { file, builtMs } = ensureSqliteDataset(size);
    if (builtMs !== null) log(`built SQLite dataset of ${size} tokens in ${(builtMs / 1000).toFixed(1)}s`);
    sqliteFiles.set(size, file);
  }

  const pool = new pg.Pool({ connectionString: POSTGRES_URL, max: 4, connectionTimeoutMillis: 5_000 });
  pool.on("error", () => undefined);
  const postgresSchemas = new Map<number, string>();
  let postgresProblem: string | null = null;
  for (const size of sizes) {
    try {
      const { schema, builtMs } = await ensurePostgresDataset(pool, size, migrate);
      if (builtMs !== null)
        log(`built PostgreSQL dataset of ${size} tokens in ${(builtMs / 1000).toFixed(1)}s`);
      postgresSchemas.set(size, schema);
    } catch (error) {
      postgresProblem = error instanceof Error ? error.message : String(error);
      log(`PostgreSQL unavailable: ${postgresProblem}`);
      break;
    }
  }
  const redisProblem = await flushRedisPrefix();
  if (redisProblem) log(`Redis unavailable: ${redisProblem}`);

  let env: GateEnvironment = {
    sqliteFile: sqliteFiles.get(HTTP_TABLE_SIZE)!,
    postgresUrl: POSTGRES_URL,
    postgresSchema: postgresSchemas.get(HTTP_TABLE_SIZE) ?? "bench_unavailable",
    redisUrl: REDIS_URL,
    redisPrefix: REDIS_PREFIX,
  };
  // The cluster rows (issue 16) run beside the single-server ones, on a cluster of their own.
  const wantsCluster =
    options.http &&
    (options.only === undefined ||
      options.only
        .split(",")
        .some((text) => "hono/tokengate-redis-cluster hono/tokengate-rate-limited-cluster".includes(text)));
  const cluster: BenchCluster | undefined = wantsCluster ? await startBenchCluster() : undefined;
  if (cluster && "url" in cluster) env = { ...env, redisClusterUrl: cluster.url };
  else if (cluster) log(`Redis Cluster unavailable: ${cluster.unavailable}`);

  let loadLine = "";
  let series: HttpSeries[] = [];
  if (options.http) {
    const cores = planCores(options.pin);
    log(cores.note);
    const generator = chooseLoadGenerator(options.load, cores.load, log);
    log(`load generator: ${generator.name}`);
    loadLine =
      `- Load: ${generator.name}, ${options.connections} connections, in its own process (${generator.why}); ` +
      `${cores.note}`;
    try {
      series = await runHttp(options, env, cores, generator);
    } finally {
      await cluster?.stop?.();
    }
  }

  let timings: VerifyTiming[] = [];
  if (options.micro) {
    log(`core verify: ${options.verifyCalls} calls`);
    timings = await measureWarmVerify(env, options.verifyCalls).catch((error: unknown) => [
      { label: "warm in-process cache (tieredCache)", nsPerCall: null, note: `failed: ${String(error)}` },
    ]);
  }

  const cold: (ColdMissRow | { store: string; tokens: number; error: string })[] = [];
  if (options.cold) {
    for (const size of options.sizes) {
      log(`cold miss: ${size} tokens`);
      cold.push(
        await measureColdSqlite(sqliteFiles.get(size)!, size, options.samples).catch((e: unknown) => ({
          store: "SQLite",
          tokens: size,
          error: String(e),
        })),
      );
    }
    for (const size of options.sizes) {
      const schema = postgresSchemas.get(size);
      cold.push(
        schema
          ? await measureColdPostgres(pool, schema, size, options.samples).catch((e: unknown) => ({
              store: "PostgreSQL",
              tokens: size,
              error: String(e),
            }))
          : { store: "PostgreSQL", tokens: size, error: `unavailable: ${postgresProblem ?? "?"}` },
      );
    }
  }
  await pool.end();

  const elapsed = (Date.now() - startedAt.getTime()) / 1000;
  const mode = options.quick ? "quick" : "full";
  const report = [
    `# tokengate benchmark — ${mode} run, ${startedAt.toISOString()}`,
    "",
    machine,
    `- Run: ${options.rounds} interleaved round(s) × ${options.duration}s per contender after ${options.warmup}s warm-up, ` +
      `each server in its own process; ${elapsed.toFixed(0)}s in all`,
    ...(loadLine ? [loadLine] : []),
    ...(othersBusy !== null && othersBusy >= 0.1
      ? [
          `- ⚠ Not a quiet machine: its cores were ${(othersBusy * 100).toFixed(0)}% busy in the second before the run. ` +
            "Other work on the server's core takes its turns and its caches, and CPU µs per request reads high " +
            "(see busy); compare ratios within this run only, and make result runs on a quiet machine.",
        ]
      : []),
    "",
    "## HTTP: `GET /hello` with `Authorization: Bearer <token>`",
    "",
    "CPU µs/request is the server process's own CPU time (user + system, all threads) over the measured",
    "window, divided by the requests it served: what the request costs, whatever else the machine does.",
    "Each ratio is computed within each round (the contender against its framework's baseline, or its",
    "hand-written ideal, measured in the same round) as the other's CPU µs/request over this one's, so",
    "1.00 means no dearer, 0.50 twice as dear; shown as the median over rounds and the min–max. Other",
    "columns are medians over rounds; busy is the server's CPU time over the load's wall time.",
    "",
    options.http ? httpTable(series) : "_skipped_",
    "",
    "## Core verify call",
    "",
    options.micro ? verifyTable(timings) : "_skipped_",
    "",
    "## Cold miss: verify with no cache, a different token each call",
    "",
    "Each SQLite file, and each PostgreSQL schema's tables and indexes (pg_prewarm, `read` mode), is",
    "read once into the OS page cache before its probes: SQLite keeps no buffer pool of its own",
    "beyond 2 MiB, PostgreSQL's default shared_buffers (128 MB) is smaller than the million-token",
    "table, and this VM reclaims idle page cache while the HTTP rounds run. The table shows what the",
    "index costs as it grows, not a first read from disk.",
    "",
    options.cold ? coldTable(cold) : "_skipped_",
    "",
    "## Targets (issue 5)",
    "",
    targetVerdicts(series, timings, cold),
    "",
  ].join("\n");

  process.stdout.write(`\n${report}\n`);
  if (options.write) {
    mkdirSync(RESULTS_DIR, { recursive: true });
    // Issue 17 compares three full runs of one day: a second run that day gets `-2`, not the first's name.
    const day = `${startedAt.toISOString().slice(0, 10)}-${mode}`;
    let dated = join(RESULTS_DIR, `${day}.md`);
    for (let n = 2; existsSync(dated); n++) dated = join(RESULTS_DIR, `${day}-${n}.md`);
    writeFileSync(dated, report);
    writeFileSync(join(RESULTS_DIR, "latest.md"), report);
    log(`wrote ${dated} and results/latest.md`);
  }
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    // A benchmark that cannot run at all (bad arguments) is the only failure; missed targets are not.
    process.stderr.write(
      `[bench] ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
    );
    process.exit(1);
  },
);
