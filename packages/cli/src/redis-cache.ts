import type { CredentialCacheFactory, Logger } from "@tokengate/core";
import { type TieredCredentialCache, tieredCache } from "@tokengate/redis";
import { Redis } from "ioredis";
import { UsageError } from "./usage-error";

/** A cache factory for `createTokenGate`, and what to close after the gate has closed. */
export interface OpenedCache {
  readonly factory: CredentialCacheFactory;
  /** Resolves once the cache listens for invalidations, or after `timeoutMs` (it then reads the store). */
  ready(timeoutMs: number): Promise<boolean>;
  /** Closes the Redis client; the cache's own connections close with the gate. */
  close(): Promise<void>;
}

/**
 * Connects the `--redis` cache: an in-process LRU in front of Redis, with invalidations over Redis
 * pub/sub. A server uses it to cache credentials; a `token revoke` uses it to tell every server.
 */
export async function openRedisCache(url: string, logger: Logger): Promise<OpenedCache> {
  if (!/^rediss?:\/\//.test(url)) throw new UsageError(`--redis must be a redis:// or rediss:// URL`);
  // tieredCache duplicates this client with its own fail-fast options; this one only carries the URL.
  const client = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 1 });
  client.on("error", () => {
    // Outages are reported by the cache, once when they start and once when they end.
  });
  let cache: TieredCredentialCache | undefined;
  const build = tieredCache({ redis: client, logger });
  return {
    factory: (source) => {
      cache = build(source);
      return cache;
    },
    async ready(timeoutMs) {
      if (!cache) return false;
      let timer: NodeJS.Timeout | undefined;
      const timedOut = new Promise<boolean>((resolve) => {
        timer = setTimeout(() => resolve(false), timeoutMs);
      });
      try {
        return await Promise.race([cache.whenHealthy().then(() => true), timedOut]);
      } finally {
        clearTimeout(timer);
      }
    },
    async close() {
      client.disconnect();
    },
  };
}
