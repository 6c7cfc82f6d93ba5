/**
 * `tieredCache` as `@tokengate/redis` has always exported it, with the Redis options inline
 * (`tieredCache({ redis })`), so applications written against 0.2 keep working. It builds
 * `@tokengate/cache`'s `tieredCache` with `redisTier` as its shared tier; new code imports
 * `tieredCache` from `@tokengate/cache` and passes `shared: redisTier({ redis })`.
 */
import {
  type TieredCacheOptions as CacheTieredCacheOptions,
  tieredCache as cacheTieredCache,
  type TieredCredentialCache,
} from "@tokengate/cache";
import type { CredentialLookup } from "@tokengate/core";
import type { RedisOptions } from "ioredis";
import type { RedisClient } from "./redis-client";
import { redisTier } from "./redis-tier";

/** `@tokengate/cache`'s options, plus the Redis tier's under their 0.2 names. */
export interface TieredCacheOptions extends Omit<CacheTieredCacheOptions, "shared"> {
  /**
   * The application's ioredis client (see `redisTier`). Leave it out to run without Redis: then
   * `invalidation` is required.
   */
  redis?: RedisClient;
  /** Key and channel prefix. Default: the client's `keyPrefix` followed by `tokengate:`. */
  prefix?: string;
  /** Lifetime of a found credential in Redis. Default 300 000 ms; it bounds missed invalidations. */
  redisTtlMs?: number;
  /** Lifetime of a "no such token" entry in Redis. Default 5 000 ms. */
  redisNegativeTtlMs?: number;
  /** Per-command timeout on tokengate's own Redis connections. Default 250 ms. */
  commandTimeoutMs?: number;
  /** How long `invalidate` waits for every instance to confirm over Redis. Default 1 000 ms. */
  ackTimeoutMs?: number;
  /** Overrides for the duplicated connections (e.g. `retryStrategy`). */
  redisOptions?: Partial<RedisOptions>;
}

/**
 * The two-tier cache with Redis options inline: `tieredCache({ redis })` is
 * `tieredCache({ shared: redisTier({ redis }) })` from `@tokengate/cache`.
 *
 * @example
 * import Redis from "ioredis";
 * const gate = createTokenGate({ store, directory, cache: tieredCache({ redis: new Redis() }) });
 */
export function tieredCache(
  options: TieredCacheOptions = {},
): (source: CredentialLookup) => TieredCredentialCache {
  const {
    redis,
    prefix,
    redisTtlMs,
    redisNegativeTtlMs,
    commandTimeoutMs,
    ackTimeoutMs,
    redisOptions,
    ...cacheOptions
  } = options;
  if (!redis) return cacheTieredCache(cacheOptions);
  const shared = redisTier({
    redis,
    ...(prefix === undefined ? {} : { prefix }),
    ...(redisTtlMs === undefined ? {} : { ttlMs: redisTtlMs }),
    ...(redisNegativeTtlMs === undefined ? {} : { negativeTtlMs: redisNegativeTtlMs }),
    ...(commandTimeoutMs === undefined ? {} : { commandTimeoutMs }),
    ...(ackTimeoutMs === undefined ? {} : { ackTimeoutMs }),
    ...(redisOptions === undefined ? {} : { redisOptions }),
  });
  return cacheTieredCache({ ...cacheOptions, shared });
}
