/**
 * The invalidation port: how the instances that share one store tell each other to drop what their
 * in-process cache holds after a revocation or a directory change. The cache (`tieredCache` in
 * `@tokengate/cache`) is the sink; each channel is a transport, in the package of the server it
 * speaks to (`@tokengate/redis`, `@tokengate/postgres`, `@tokengate/sqlite`), so none of them
 * depends on the cache, nor the cache on them.
 */

/** What one instance tells the others after a revocation or a directory change. */
export type InvalidationMessage =
  | { readonly kind: "digests"; readonly digests: readonly string[] }
  | {
      readonly kind: "all";
      /**
       * The shared tier's new epoch (set by `tieredCache` over Redis): entries written under another
       * epoch are misses from now on. Transports that carry it pass it on; the others leave it out.
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
 * Implementations: `localInvalidation` (`@tokengate/cache`: one process, nothing to tell),
 * `RedisInvalidationChannel` (`@tokengate/redis`: pub/sub with acknowledgements),
 * `postgresInvalidation` (`@tokengate/postgres`: LISTEN/NOTIFY), `sqliteDataVersionInvalidation`
 * (`@tokengate/sqlite`: polls `PRAGMA data_version`).
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

/** What reads SQLite's `PRAGMA data_version`: a function, or a better-sqlite3 `Database`. */
export type DataVersionSource =
  | (() => number)
  | { pragma(source: string, options: { simple: true }): unknown };

/** Throws when a transport is attached to a second cache: each cache needs its own. */
export function assertFirstAttach(transport: string, sink: InvalidationSink | undefined): void {
  if (sink) throw new Error(`${transport}: this transport already serves a cache; create one per cache`);
}
