/**
 * The Redis clients tokengate accepts (a single `Redis`, a Sentinel-managed `Redis`, or a `Cluster`)
 * and the two things that differ between them: how a connection is duplicated with tokengate's
 * fail-fast options, and which keys may share a command.
 *
 * A Sentinel-managed client (`new Redis({ sentinels, name })`) is a `Redis`: it needs nothing of its
 * own here, its duplicates ask the sentinels for the master as the application's client does.
 */
import type { Cluster, ClusterOptions, Redis, RedisOptions } from "ioredis";

/** Every option or function that takes a Redis client takes any of these. */
export type RedisClient = Redis | Cluster;

/** True for an ioredis `Cluster` (both classes carry `isCluster`, whichever copy of ioredis made them). */
export function isCluster(client: RedisClient): client is Cluster {
  return client.isCluster === true;
}

/**
 * A connection of tokengate's own, like `client` but with `options`. `Cluster.duplicate` takes the
 * startup nodes first and its per-node options under `redisOptions`, so passing the options the
 * way `Redis.duplicate` takes them would drop them silently: a cluster gets them on every node
 * connection, and the cluster-level ones (offline queue, lazy connect, key prefix) on itself.
 */
export function duplicateClient(client: Redis, options: Partial<RedisOptions>): Redis;
export function duplicateClient(client: Cluster, options: Partial<RedisOptions>): Cluster;
export function duplicateClient(client: RedisClient, options: Partial<RedisOptions>): RedisClient;
export function duplicateClient(client: RedisClient, options: Partial<RedisOptions>): RedisClient {
  if (!isCluster(client)) return client.duplicate(options);
  const { enableOfflineQueue, lazyConnect, keyPrefix, ...node } = options;
  const clusterLevel: Partial<ClusterOptions> = {
    redisOptions: {
      ...client.options.redisOptions,
      ...node,
      ...(keyPrefix === undefined ? {} : { keyPrefix }),
    },
    ...(enableOfflineQueue === undefined ? {} : { enableOfflineQueue }),
    ...(lazyConnect === undefined ? {} : { lazyConnect }),
    ...(keyPrefix === undefined ? {} : { keyPrefix }),
  };
  if (options.retryStrategy === null) clusterLevel.clusterRetryStrategy = () => null;
  return client.duplicate([], clusterLevel);
}

/** The client's own key prefix, which tokengate spells out in its keys (its connections add none). */
export function clientKeyPrefix(client: RedisClient | undefined): string {
  if (!client) return "";
  if (isCluster(client)) return client.options.keyPrefix ?? client.options.redisOptions?.keyPrefix ?? "";
  return client.options.keyPrefix ?? "";
}

/**
 * The hash tag Redis Cluster hashes a key by: the text between the first `{` and the next `}`, when
 * that is not empty; otherwise the whole key. Keys with the same tag live in one slot.
 */
export function hashTagOf(key: string): string {
  const open = key.indexOf("{");
  if (open === -1) return key;
  const close = key.indexOf("}", open + 1);
  if (close === -1 || close === open + 1) return key;
  return key.slice(open + 1, close);
}
