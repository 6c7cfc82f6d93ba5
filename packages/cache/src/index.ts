/**
 * `@tokengate/cache`: the credential cache in front of a token store, and the invalidation that
 * needs no server. It depends on neither ioredis nor pg: the Redis tier (`redisTier`) and the
 * channels that speak to a server come from `@tokengate/redis`, `@tokengate/postgres` and
 * `@tokengate/sqlite`.
 */

// The invalidation port, from the core, for one import
export type {
  InvalidationMessage,
  InvalidationSink,
  InvalidationTransport,
} from "@tokengate/core";
// Invalidation without a server
export { localInvalidation } from "./local-invalidation";
export type { LruTierOptions } from "./lru-tier";

// The seam a shared tier plugs into
export type {
  SharedEntry,
  SharedRead,
  SharedTier,
  SharedTierContext,
  SharedTierEvents,
  SharedTierFactory,
} from "./shared-tier";
// The cache
export { type TieredCacheOptions, type TieredCredentialCache, tieredCache } from "./tiered-cache";
