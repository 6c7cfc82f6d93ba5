/** In-process measurements of the core: the warm verify call, and the uncached lookup by table size. */
import { closeSync, existsSync, openSync, readSync } from "node:fs";
import {
  createTokenGate,
  MemoryDirectory,
  MemoryTokenStore,
  silentLogger,
  type TokenGate,
} from "@tokengate/core";
import { PostgresDirectory, PostgresTokenStore } from "@tokengate/postgres";
import { openSqlite } from "@tokengate/sqlite";
import type pg from "pg";
import { CREATED_AT, EXPIRES_AT, HOT_TOKEN, sha512Hex, tokenAt } from "./dataset";
import { buildGate, type GateEnvironment, isPending } from "./gates";

export interface VerifyTiming {
  readonly label: string;
  /** Null when the configuration could not be built (its package is pending). */
  readonly nsPerCall: number | null;
  readonly note?: string;
}

async function nsPerVerify(gate: TokenGate, calls: number): Promise<number> {
  const authorization = `Bearer ${HOT_TOKEN}`;
  const { verifier } = gate;
  // Warm the cache and let the JIT settle before timing.
  for (let i = 0; i < Math.min(calls, 50_000); i++) {
    const outcome = await verifier.verify({ authorization });
    if (!outcome.ok) throw new Error(`verify refused the benchmark token: ${outcome.error.code}`);
  }
  const started = process.hrtime.bigint();
  for (let i = 0; i < calls; i++) await verifier.verify({ authorization });
  return Number(process.hrtime.bigint() - started) / calls;
}

/**
 * `gate.verifier.verify({ authorization })` per call, with the token already cached. Also measured
 * over the memory store with no cache tier: the floor a cache hit could reach through this API.
 */
export async function measureWarmVerify(env: GateEnvironment, calls: number): Promise<VerifyTiming[]> {
  const timings: VerifyTiming[] = [];
  const built = await buildGate("warm", env);
  if (isPending(built)) {
    timings.push({
      label: "warm in-process cache (tieredCache)",
      nsPerCall: null,
      note: `pending: ${built.pending}`,
    });
  } else {
    try {
      timings.push({
        label: "warm in-process cache (tieredCache)",
        nsPerCall: await nsPerVerify(built.gate, calls),
      });
    } finally {
      await built.close();
    }
  }

  const store = new MemoryTokenStore();
  const directory = new MemoryDirectory().upsertUser({ id: 1, name: "bench", disabled: false });
  await store.insert({
    name: "bench",
    digest: sha512Hex(HOT_TOKEN),
    algorithm: "SHA512",
    userId: 1,
    teamId: null,
    createdAt: new Date(CREATED_AT),
    expiresAt: new Date(EXPIRES_AT),
    scopes: [],
  });
  const memoryGate = createTokenGate({ store, directory, logger: silentLogger });
  try {
    timings.push({ label: "memory store, no cache tier", nsPerCall: await nsPerVerify(memoryGate, calls) });
  } finally {
    await memoryGate.close();
  }
  return timings;
}

export interface ColdMissRow {
  readonly store: "SQLite" | "PostgreSQL";
  readonly tokens: number;
  readonly p50Us: number;
  readonly p99Us: number;
  readonly samples: number;
  /** Set when the measurement ran under a different condition than the table's heading says. */
  readonly note?: string;
}

function percentile(sorted: Float64Array, p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? Number.NaN;
}

/** A fixed pseudo-random sequence, so every run probes the same rows. */
function* indices(size: number, count: number): Generator<number> {
  let state = 0x2545f491 ^ size;
  for (let i = 0; i < count; i++) {
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    yield (state >>> 0) % size;
  }
}

/**
 * Full `verify` calls with no cache tier, each for a different token spread over the whole table:
 * the parse, the digest, the indexed store read and the directory read a cache miss pays.
 */
async function coldLatencies(gate: TokenGate, size: number, samples: number): Promise<Float64Array> {
  const { verifier } = gate;
  const warmup = Math.min(500, samples);
  const timings = new Float64Array(samples);
  let n = 0;
  for (const index of indices(size, samples + warmup)) {
    const authorization = `Bearer ${tokenAt(index)}`;
    const started = process.hrtime.bigint();
    const outcome = await verifier.verify({ authorization });
    const elapsed = Number(process.hrtime.bigint() - started) / 1_000;
    if (!outcome.ok) throw new Error(`cold lookup of token ${index} failed: ${outcome.error.code}`);
    if (n >= warmup) timings[n - warmup] = elapsed;
    n++;
  }
  return timings.sort();
}

/**
 * Reads a file once, so its pages are in the OS page cache: a SQLite file serving traffic stays
 * there, but this VM reclaims idle page cache during the long HTTP rounds, and a first read from
 * disk would be measured as the store's cost.
 */
function intoPageCache(file: string): void {
  for (const path of [file, `${file}-wal`]) {
    if (!existsSync(path)) continue;
    const fd = openSync(path, "r");
    try {
      const chunk = Buffer.allocUnsafe(1 << 20);
      while (readSync(fd, chunk, 0, chunk.length, null) > 0);
    } finally {
      closeSync(fd);
    }
  }
}

export async function measureColdSqlite(file: string, size: number, samples: number): Promise<ColdMissRow> {
  intoPageCache(file);
  const sqlite = openSqlite(file);
  const gate = createTokenGate({
    store: sqlite.store,
    directory: sqlite.directory,
    usageFlushIntervalMs: false,
    logger: silentLogger,
  });
  try {
    const sorted = await coldLatencies(gate, size, samples);
    return {
      store: "SQLite",
      tokens: size,
      p50Us: percentile(sorted, 50),
      p99Us: percentile(sorted, 99),
      samples,
    };
  } finally {
    await gate.close();
    sqlite.close();
  }
}

/**
 * The PostgreSQL counterpart of `intoPageCache`: pg_prewarm's `read` mode reads every block of the
 * schema's tables and indexes once, so they sit in the OS page cache as they would under traffic.
 * Not `buffer` mode: at a million tokens the table and its digest index (about 390 MB) outgrow the
 * default 128 MB of shared_buffers, and what that costs is part of what is measured.
 * Returns why it could not, or null.
 */
async function intoPostgresPageCache(pool: pg.Pool, schema: string): Promise<string | null> {
  try {
    await pool.query("CREATE EXTENSION IF NOT EXISTS pg_prewarm");
    const { rows } = await pool.query<{ rel: string }>(
      `SELECT c.oid::regclass::text AS rel FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE n.nspname = $1 AND c.relkind IN ('r', 'i')`,
      [schema],
    );
    for (const { rel } of rows) await pool.query("SELECT pg_prewarm($1::regclass, 'read')", [rel]);
    return null;
  } catch (error) {
    return error instanceof Error ? error.message : String(error);
  }
}

export async function measureColdPostgres(
  pool: pg.Pool,
  schema: string,
  size: number,
  samples: number,
): Promise<ColdMissRow> {
  const notPrewarmed = await intoPostgresPageCache(pool, schema);
  const gate = createTokenGate({
    store: new PostgresTokenStore(pool, { schema }),
    directory: new PostgresDirectory(pool, { schema }),
    usageFlushIntervalMs: false,
    logger: silentLogger,
  });
  try {
    const sorted = await coldLatencies(gate, size, samples);
    return {
      store: "PostgreSQL",
      tokens: size,
      p50Us: percentile(sorted, 50),
      p99Us: percentile(sorted, 99),
      samples,
      ...(notPrewarmed === null ? {} : { note: `not prewarmed: ${notPrewarmed}` }),
    };
  } finally {
    await gate.close();
  }
}
