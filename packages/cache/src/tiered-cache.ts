/**
 * `tieredCache`: the factory of the read-through credential cache in front of the store. It checks
 * the options once and builds, per gate, a `TieredCache` (`tiered-credential-cache.ts`), which
 * composes an in-process LRU (`lru-tier.ts`), an optional shared tier that every instance reads
 * (`shared-tier.ts`; Redis, from `@tokengate/redis`), single-flight loads (`single-flight.ts`), and
 * the trust and recovery of the shared tier (`recovery.ts`); an `InvalidationTransport` tells the
 * other instances what to drop.
 */
import {
  type CacheHealth,
  type CacheObserver,
  type Clock,
  type CredentialCache,
  type CredentialCacheFactory,
  type CredentialLookup,
  consoleLogger,
  type InvalidationTransport,
  type Logger,
  type ResolvedCredential,
} from "@tokengate/core";
import { type LruTierOptions, lruTierConfig } from "./lru-tier";
import type { SharedTierFactory } from "./shared-tier";
import { type CacheConfig, TieredCache } from "./tiered-credential-cache";

export interface TieredCacheOptions {
  /** The in-process tier, or `false` for none (every lookup asks the shared tier). Default: on, with defaults. */
  lru?: LruTierOptions | false;
  /**
   * The tier every instance shares, between the LRU and the store: `redisTier({ redis })` from
   * `@tokengate/redis`. Leave it out to run in memory only: then `invalidation` is required.
   */
  shared?: SharedTierFactory;
  /** How invalidations reach the other instances. Default with `shared`: the tier's own (Redis pub/sub). */
  invalidation?: InvalidationTransport;
  /** Where outages are reported, once when they start and once when they end. */
  logger?: Logger;
  /** The clock for in-process TTLs and retry pacing. Default: the system clock. */
  clock?: Clock;
  /** @deprecated The clock's old name: use `clock`. */
  now?: Clock;
}

/** The cache `tieredCache` builds: a `CredentialCache` that can also say whether it is degraded. */
export interface TieredCredentialCache extends CredentialCache {
  /** The in-process tier's answer, without loading: undefined when it has none to give. */
  peek(digest: string): ResolvedCredential | null | undefined;
  /**
   * True while the cache cannot trust its shared state (invalidation channel or Redis away): it
   * then answers every lookup from the store.
   */
  readonly degraded: boolean;
  /** Resolves when the cache is fully working (channel listening, Redis reachable). */
  whenHealthy(): Promise<void>;
  /** The cache, its channel and Redis, up or not, for `gate.health()`. */
  health(): CacheHealth;
  /** Closes tokengate's own connections and the transport; the application's client stays open. */
  close(): Promise<void>;
}

/**
 * A read-through credential cache in tiers: an in-process LRU, then a shared tier (Redis) read by
 * every instance, then the store. Unknown digests are cached briefly in both tiers. Concurrent
 * misses for one digest share one store query. `invalidate` drops the digests here, deletes them
 * from the shared tier and tells every other instance, and a generation check stops a load that was
 * already running from caching a revoked credential again.
 *
 * When the shared tier or the invalidation channel goes away, lookups go to the store and the
 * in-process tier is dropped until the channel is back (invalidations may have been missed meanwhile).
 *
 * @example
 * import { tieredCache } from "@tokengate/cache";
 * import { redisTier } from "@tokengate/redis";
 * const gate = createTokenGate({ store, directory, cache: tieredCache({ shared: redisTier({ redis }) }) });
 */
export function tieredCache(
  options: TieredCacheOptions = {},
): (source: CredentialLookup) => TieredCredentialCache {
  const lruOptions = options.lru === false ? false : (options.lru ?? {});
  if (!options.shared && !options.invalidation) {
    throw new TypeError(
      "tieredCache: without `shared` (redisTier({ redis }) from @tokengate/redis), pass `invalidation` (postgresInvalidation, sqliteDataVersionInvalidation, or localInvalidation for a single process)",
    );
  }
  if (!options.shared && lruOptions === false)
    throw new TypeError("tieredCache: with no shared tier and no LRU there is nothing to cache");
  const clock = options.clock ?? options.now;
  const config: CacheConfig = {
    lru: lruOptions === false ? false : lruTierConfig(lruOptions),
    logger: options.logger ?? consoleLogger,
    clock,
  };
  let used = false;
  const factory = (source: CredentialLookup, observer?: CacheObserver): TieredCredentialCache => {
    // A transport serves one cache; a factory called twice would share it.
    if (used && options.invalidation) {
      throw new Error("tieredCache: this factory's `invalidation` transport already serves a cache");
    }
    used = true;
    const shared = options.shared?.({ logger: config.logger });
    return new TieredCache(source, config, shared, options.invalidation, observer);
  };
  return factory satisfies CredentialCacheFactory;
}
