export { type ConnectRedisOptions, connectRedis } from "./connect-redis";
export { decodeCredential, encodeCredential } from "./credential-codec";
export {
  type DataVersionSource,
  type InvalidationMessage,
  type InvalidationSink,
  type InvalidationTransport,
  localInvalidation,
  type SqliteDataVersionOptions,
  sqliteDataVersionInvalidation,
} from "./invalidation";
export { type PostgresInvalidationOptions, postgresInvalidation } from "./postgres-channel";
export * from "./rate-limit";
export {
  RedisInvalidationChannel,
  type RedisInvalidationChannelOptions,
  redisInvalidation,
} from "./redis-channel";
export { duplicateClient, type RedisClient } from "./redis-client";
export {
  type LruTierOptions,
  type TieredCacheOptions,
  type TieredCredentialCache,
  tieredCache,
} from "./tiered-cache";
