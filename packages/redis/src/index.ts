/**
 * `@tokengate/redis`: everything tokengate keeps in Redis. The cache's Redis tier (`redisTier`, for
 * `@tokengate/cache`'s `tieredCache`), the invalidation channel over pub/sub, the GCRA rate limits,
 * and `connectRedis` for every URL form (single server, Cluster, Sentinel).
 */

export {
  type InvalidationMessage,
  type InvalidationSink,
  type InvalidationTransport,
  type LruTierOptions,
  localInvalidation,
  type TieredCredentialCache,
} from "@tokengate/cache";
// Connections
export { type ConnectRedisOptions, connectRedis } from "./connect-redis";

// The cache's Redis tier and its invalidation channel
export { decodeCredential, encodeCredential } from "./credential-codec";
// Rate limits
export * from "./rate-limit";
export {
  RedisInvalidationChannel,
  type RedisInvalidationChannelOptions,
  redisInvalidation,
} from "./redis-channel";
export { duplicateClient, type RedisClient } from "./redis-client";
export { type RedisTierOptions, redisTier } from "./redis-tier";
// Kept for applications written against 0.2: the cache itself now lives in @tokengate/cache
export { type TieredCacheOptions, tieredCache } from "./tiered-cache";
