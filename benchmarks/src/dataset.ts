/**
 * The tokens every benchmark verifies: deterministic, so a populated SQLite file can be cached
 * between runs and PostgreSQL can build the same rows server-side.
 *
 * Token `i` is `api_` + `i` in decimal, zero-padded to 16 digits: a valid Documenso-shaped token
 * (`[0-9a-z]{16}`) whose digest PostgreSQL can compute itself with `sha512()`, so a million rows
 * load without a million round trips. Token 0 is the one the HTTP benchmarks send.
 */
import * as crypto from "node:crypto";
import { existsSync, mkdirSync, renameSync, rmSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { migrateSqlite } from "@tokengate/sqlite";
import Database from "better-sqlite3";
import type pg from "pg";

/** How many distinct users own the tokens (token i belongs to user `i % USERS + 1`). */
export const USERS = 1_000;
/** Fixed instants, so a cached dataset never changes meaning from one run to the next. */
export const CREATED_AT = Date.UTC(2025, 0, 1);
export const EXPIRES_AT = Date.UTC(2099, 0, 1);

export const DATA_DIR = join(dirname(fileURLToPath(import.meta.url)), "..", ".data");

export function tokenAt(index: number): string {
  return `api_${String(index).padStart(16, "0")}`;
}

export function sha512Hex(token: string): string {
  return crypto.hash("sha512", token, "hex");
}

export function ownerOf(index: number): number {
  return (index % USERS) + 1;
}

/** The token the HTTP contenders authenticate with. */
export const HOT_TOKEN = tokenAt(0);

function sqliteFileFor(size: number): string {
  return join(DATA_DIR, `tokens-${size}.v1.sqlite`);
}

/**
 * Returns the path of a SQLite file holding `size` tokens and USERS users, building it on first
 * use. It is built under a temporary name and renamed when complete, so an interrupted build is
 * never mistaken for a finished one.
 */
export function ensureSqliteDataset(size: number): { file: string; builtMs: number | null } {
  const file = sqliteFileFor(size);
  if (existsSync(file)) return { file, builtMs: null };
  mkdirSync(DATA_DIR, { recursive: true });
  const partial = `${file}.partial-${process.pid}`;
  const started = performance.now();
  const db = new Database(partial);
  try {
    // A throwaway build: durability buys nothing until the rename.
    db.pragma("journal_mode = OFF");
    db.pragma("synchronous = OFF");
    db.pragma("cache_size = -262144");
    migrateSqlite(db);
    const user = db.prepare("INSERT INTO users (id, name, email, disabled) VALUES (?, ?, NULL, 0)");
    const token = db.prepare(
      `INSERT INTO tokens (id, name, digest, algorithm, user_id, team_id, created_at, expires_at, scopes)
       VALUES (?, ?, ?, 'SHA512', ?, NULL, ?, ?, '[]')`,
    );
    db.transaction(() => {
      for (let id = 1; id <= USERS; id++) user.run(id, `user ${id}`);
    })();
    // Rows go in digest order, and ids are handed out in that order too: both B-trees (rowid and
    // the unique digest index) then only ever append, which is what makes a million rows quick.
    const digests = Array.from({ length: size }, (_, i) => ({ i, digest: sha512Hex(tokenAt(i)) }));
    digests.sort((a, b) => (a.digest < b.digest ? -1 : a.digest > b.digest ? 1 : 0));
    const batch = 50_000;
    const insertBatch = db.transaction((from: number, to: number) => {
      for (let n = from; n < to; n++) {
        const { i, digest } = digests[n]!;
        token.run(n + 1, `bench ${i}`, digest, ownerOf(i), CREATED_AT, EXPIRES_AT);
      }
    });
    for (let from = 0; from < size; from += batch) insertBatch(from, Math.min(size, from + batch));
    db.close();
    // The servers and the cold-miss runs open it with WAL like any deployment would.
    const reopened = new Database(partial);
    reopened.pragma("journal_mode = WAL");
    reopened.close();
    renameSync(partial, file);
  } catch (error) {
    if (db.open) db.close();
    rmSync(partial, { force: true });
    throw error;
  }
  return { file, builtMs: performance.now() - started };
}

export function postgresSchemaFor(size: number): string {
  return `bench_n${size}`;
}

/**
 * Makes schema `bench_n<size>` hold exactly `size` tokens, building it server-side when it does
 * not. The unique index on `digest` is dropped during the load and rebuilt once afterwards: one
 * sorted build is several times faster than a million incremental inserts into a B-tree.
 */
export async function ensurePostgresDataset(
  pool: pg.Pool,
  size: number,
  migrate: (pool: pg.Pool, options: { schema: string }) => Promise<void>,
): Promise<{ schema: string; builtMs: number | null }> {
  const schema = postgresSchemaFor(size);
  const s = `"${schema}"`;
  await migrate(pool, { schema });
  const { rows } = await pool.query<{ n: string; users: string }>(
    `SELECT (SELECT count(*) FROM ${s}.tokens) AS n, (SELECT count(*) FROM ${s}.users) AS users`,
  );
  if (Number(rows[0]?.n) === size && Number(rows[0]?.users) === USERS) return { schema, builtMs: null };

  const started = performance.now();
  const client = await pool.connect();
  try {
    await client.query("BEGIN");
    await client.query("SET LOCAL synchronous_commit = off");
    await client.query(`TRUNCATE ${s}.tokens, ${s}.users`);
    await client.query(`ALTER TABLE ${s}.tokens DROP CONSTRAINT IF EXISTS tokens_digest_key`);
    await client.query(
      `INSERT INTO ${s}.users (id, name, email, disabled)
       SELECT g, 'user ' || g, NULL, false FROM generate_series(1, $1::int) AS g`,
      [USERS],
    );
    await client.query(
      `INSERT INTO ${s}.tokens (id, name, digest, algorithm, user_id, team_id, created_at, expires_at, scopes)
       SELECT g + 1, 'bench ' || g,
              encode(sha512(convert_to('api_' || lpad(g::text, 16, '0'), 'UTF8')), 'hex'),
              'SHA512', (g % $2::int) + 1, NULL, to_timestamp($3::double precision / 1000),
              to_timestamp($4::double precision / 1000), '{}'
       FROM generate_series(0, $1::int - 1) AS g`,
      [size, USERS, CREATED_AT, EXPIRES_AT],
    );
    await client.query(`ALTER TABLE ${s}.tokens ADD CONSTRAINT tokens_digest_key UNIQUE (digest)`);
    await client.query("COMMIT");
    await client.query(`ANALYZE ${s}.tokens`);
  } catch (error) {
    await client.query("ROLLBACK").catch(() => undefined);
    throw error;
  } finally {
    client.release();
  }
  return { schema, builtMs: performance.now() - started };
}
