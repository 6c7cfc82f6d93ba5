/** What one instance tells the others after a revocation or a directory change. */
export type InvalidationMessage =
  | { readonly kind: "digests"; readonly digests: readonly string[] }
  | {
      readonly kind: "all";
      /**
       * The Redis tier's new epoch (set by `tieredCache`): entries written under another epoch are
       * misses from now on. Transports that carry it pass it on; the others leave it out.
       */
      readonly epoch?: string;
    };

/** How a transport reports to the cache it serves. */
export interface InvalidationSink {
  /** Another instance invalidated something: drop it locally. */
  received(message: InvalidationMessage): void;
  /** The channel may be losing messages: the cache stops trusting its in-process entries. */
  lost(cause: unknown): void;
  /**
   * The channel delivers again (or for the first time). Messages may have been missed meanwhile, so
   * the cache drops its in-process entries before trusting them again.
   */
  restored(): void;
}

/**
 * Carries invalidations between the instances that share one store. `tieredCache` attaches to one
 * transport and owns it: the cache's `close()` closes it.
 *
 * Implementations here: `RedisInvalidationChannel` (pub/sub with acknowledgements),
 * `postgresInvalidation` (LISTEN/NOTIFY), `sqliteDataVersionInvalidation` (polls
 * `PRAGMA data_version`), `localInvalidation` (one process, nothing to tell).
 */
export interface InvalidationTransport {
  readonly name: string;
  /** True while messages from other instances are being delivered. */
  readonly connected: boolean;
  /** Starts delivering to `sink`. A transport serves one cache: attaching twice throws. */
  attach(sink: InvalidationSink): void;
  /**
   * Tells every other instance. Resolves once the message is delivered as far as this transport
   * can vouch (see each implementation); rejects when it could not be sent.
   */
  publish(message: InvalidationMessage): Promise<void>;
  /**
   * Called before each read of the in-process tier. A polling transport checks for changes here and
   * calls `sink.received({ kind: "all" })` synchronously, so the read that follows is already safe.
   */
  beforeLocalRead?(): void;
  close(): Promise<void>;
}

/** Throws when a transport is attached to a second cache: each cache needs its own. */
export function assertFirstAttach(transport: string, sink: InvalidationSink | undefined): void {
  if (sink) throw new Error(`${transport}: this transport already serves a cache; create one per cache`);
}

/**
 * For a single process: there is no other instance to tell. Use it only when exactly one process
 * serves the store, or revocations made elsewhere will not reach this process's LRU until its TTL.
 *
 * @example
 * tieredCache({ invalidation: localInvalidation() })
 */
export function localInvalidation(): InvalidationTransport {
  let sink: InvalidationSink | undefined;
  return {
    name: "local",
    connected: true,
    attach(s) {
      assertFirstAttach("localInvalidation", sink);
      sink = s;
      s.restored();
    },
    async publish() {},
    async close() {},
  };
}

/** What reads SQLite's `PRAGMA data_version`: a function, or a better-sqlite3 `Database`. */
export type DataVersionSource =
  | (() => number)
  | { pragma(source: string, options: { simple: true }): unknown };

export interface SqliteDataVersionOptions {
  /**
   * Read the pragma at most once per this many ms (default 0: before every in-process read). With
   * N > 0 a revocation made by another process can be served from this process's LRU for up to N ms.
   */
  minIntervalMs?: number;
  now?: () => Date;
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
 * import { sqliteDataVersion } from "@tokengate/sqlite";
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
  const now = options.now ?? (() => new Date());
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
        const t = now().getTime();
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
