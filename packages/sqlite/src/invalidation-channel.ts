/**
 * The cache's invalidation for several processes sharing one SQLite file, with no broker at all:
 * it watches `PRAGMA data_version` (see `data-version.ts`). It implements the core's
 * `InvalidationTransport` port; `tieredCache` (`@tokengate/cache`) attaches to it.
 */
import {
  assertFirstAttach,
  type Clock,
  type DataVersionSource,
  type InvalidationSink,
  type InvalidationTransport,
  systemClock,
} from "@tokengate/core";

export interface SqliteDataVersionOptions {
  /**
   * Read the pragma at most once per this many ms (default 0: before every in-process read). With
   * N > 0 a revocation made by another process can be served from this process's LRU for up to N ms.
   */
  minIntervalMs?: number;
  /** The clock that paces `minIntervalMs`. Default: the system clock. */
  clock?: Clock;
  /** @deprecated The clock's old name: use `clock`. */
  now?: Clock;
}

/**
 * Invalidation for several processes sharing one SQLite file, with no broker at all. SQLite moves
 * `PRAGMA data_version` on a connection whenever ANOTHER connection commits to the file, so before
 * serving from the LRU the cache reads it (about a microsecond) and drops everything when it moved.
 * Any commit counts, not only revocations (new tokens, last-used writes), so the LRU empties more
 * often than strictly needed; it is never wrong.
 *
 * Pass the connection this process uses only for reading the pragma, or the one its store uses
 * (its own commits do not move its own data_version, but this process's own revocations are
 * already dropped locally by `invalidate`).
 *
 * @example
 * import { tieredCache } from "@tokengate/cache";
 * import { sqliteDataVersion, sqliteDataVersionInvalidation } from "@tokengate/sqlite";
 * tieredCache({ invalidation: sqliteDataVersionInvalidation(sqliteDataVersion(db)) })
 */
export function sqliteDataVersionInvalidation(
  source: DataVersionSource,
  options: SqliteDataVersionOptions = {},
): InvalidationTransport {
  const read: () => number =
    typeof source === "function" ? source : () => Number(source.pragma("data_version", { simple: true }));
  const minIntervalMs = options.minIntervalMs ?? 0;
  if (!(minIntervalMs >= 0)) throw new TypeError("sqliteDataVersionInvalidation: minIntervalMs must be >= 0");
  const clock = options.clock ?? options.now ?? systemClock;
  let sink: InvalidationSink | undefined;
  let seen = read();
  let checkedAt = Number.NEGATIVE_INFINITY;
  return {
    name: "sqlite-data-version",
    connected: true,
    attach(s) {
      assertFirstAttach("sqliteDataVersionInvalidation", sink);
      sink = s;
      s.restored();
    },
    beforeLocalRead() {
      if (minIntervalMs > 0) {
        const t = clock().getTime();
        if (t - checkedAt < minIntervalMs) return;
        checkedAt = t;
      }
      const version = read();
      if (version !== seen) {
        seen = version;
        sink?.received({ kind: "all" });
      }
    },
    // The store's own commit is the message: other connections see data_version move.
    async publish() {},
    async close() {},
  };
}
