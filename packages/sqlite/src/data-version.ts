/** SQLite's `PRAGMA data_version` as a change probe, for processes that share one database file. */
import type { Database } from "better-sqlite3";

/**
 * A cheap cross-process change detector: returns a function that reads `PRAGMA data_version` on
 * `db`. The number changes when ANOTHER connection (in this process or any other sharing the file)
 * commits a change; this connection's own commits do not move it. Reading it costs no I/O beyond a
 * check of the WAL index, so a cache can poll it often (every request, or every few ms) and drop its
 * entries when it moves: that is how several processes sharing one SQLite file see a revocation
 * made by another.
 *
 * Compare values for equality only; the number is not a counter of commits.
 *
 * @example
 * const version = sqliteDataVersion(db);
 * let seen = version();
 * setInterval(() => {
 *   const now = version();
 *   if (now !== seen) { seen = now; void cache.invalidateAll(); }
 * }, 250).unref();
 */
export function sqliteDataVersion(db: Database): () => number {
  const statement = db.prepare<[], number>("PRAGMA data_version").pluck();
  return () => statement.get() as number;
}
