/**
 * The `--redis` connection: the credential cache (an in-process LRU in front of Redis, invalidated
 * over Redis pub/sub) and, for `serve`, the failed-attempt limiter's counters.
 *
 * A server keeps reconnecting for as long as it runs. A one-shot command (`token …`, `users …`)
 * first waits for Redis at most `waitMs` and never reconnects, so it can say at once that Redis is
 * away and then exit instead of waiting on a connection that will not come back.
 *
 * The URL may name one server (redis://, rediss://), a Redis Cluster (redis+cluster://h1:p1,h2:p2)
 * or a Sentinel group (redis+sentinel://h1:p1,h2:p2/<masterName>): `connectRedis` reads all of them.
 */
import { type TieredCredentialCache, tieredCache } from "@tokengate/cache";
import type { CredentialCacheFactory, Logger } from "@tokengate/core";
import {
  connectRedis,
  duplicateClient,
  type LimitStore,
  type RedisClient,
  RedisLimitStore,
  redisTier,
} from "@tokengate/redis";
import type { RedisOptions } from "ioredis";
import { seconds } from "./deadline";
import { UsageError } from "./usage-error";

/** A cache factory for `createTokenGate`, and what to close after the gate has closed. */
export interface OpenedCache {
  readonly factory: CredentialCacheFactory;
  /** Resolves once the cache listens for invalidations, or after `timeoutMs` (it then reads the store). */
  ready(timeoutMs: number): Promise<boolean>;
  /** Closes the Redis clients; the cache's own connections close with the gate. */
  close(): Promise<void>;
}

/** Why a one-shot command could not use `--redis`, in words for its error message. */
export interface RedisUnavailable {
  readonly unavailable: string;
}

/** Connects the URL's Redis (see the module comment), or refuses the URL as a usage error. */
function connect(url: string, redisOptions: Partial<RedisOptions>): RedisClient {
  if (!/^rediss?(\+cluster|\+sentinel)?:\/\//i.test(url)) {
    throw new UsageError(
      "--redis must be a redis://, rediss://, redis+cluster://host:port,… or redis+sentinel://host:port,…/<master> URL",
    );
  }
  try {
    return connectRedis(url, {
      redisOptions,
      clusterOptions: {
        ...(redisOptions.lazyConnect === undefined ? {} : { lazyConnect: redisOptions.lazyConnect }),
        ...(redisOptions.enableOfflineQueue === undefined
          ? {}
          : { enableOfflineQueue: redisOptions.enableOfflineQueue }),
        ...(redisOptions.retryStrategy === null ? { clusterRetryStrategy: () => null } : {}),
      },
    });
  } catch (error) {
    // connectRedis names the problem and never the password.
    throw new UsageError(
      `--redis: ${error instanceof Error ? error.message.replace(/^connectRedis: /, "") : error}`,
    );
  }
}

/** The URL for messages: a password is masked. */
export function describeRedis(url: string): string {
  const topology = /^(rediss?\+(?:cluster|sentinel):\/\/)(?:[^@/?#]*@)?(.*)$/i.exec(url);
  if (topology) return url.includes("@") ? `${topology[1]}***@${topology[2]}` : url;
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = "***";
    return parsed.toString();
  } catch {
    return "the --redis URL";
  }
}

function tieredFactory(client: RedisClient, logger: Logger, redisOptions?: Partial<RedisOptions>) {
  let cache: TieredCredentialCache | undefined;
  const build = tieredCache({
    shared: redisTier({ redis: client, ...(redisOptions ? { redisOptions } : {}) }),
    logger,
  });
  const factory: CredentialCacheFactory = (source) => {
    cache = build(source);
    return cache;
  };
  async function ready(timeoutMs: number): Promise<boolean> {
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
  }
  return { factory, ready };
}

/**
 * Connects the server's `--redis` cache. It reconnects for as long as the server runs; meanwhile
 * the cache reads the store. A server uses it to cache credentials and hear of revocations.
 */
export async function openRedisCache(url: string, logger: Logger): Promise<OpenedCache> {
  // The Redis tier duplicates this client with its own fail-fast options; this one only carries the URL.
  const client = connect(url, { lazyConnect: true, maxRetriesPerRequest: 1 });
  client.on("error", () => {
    // Outages are reported by the cache, once when they start and once when they end.
  });
  const { factory, ready } = tieredFactory(client, logger);
  return {
    factory,
    ready,
    async close() {
      client.disconnect();
    },
  };
}

/**
 * The failed-attempt counters of a server, in Redis under the URL's `keyPrefix` (if any) followed
 * by `tokengate:rl:`, on a connection of their own. While Redis is away each server counts in its
 * own memory rather than refusing every request (`onRedisError: "memory"`): the demo keeps serving
 * from the store, as its cache does.
 */
export function openRedisLimitStore(url: string, logger: Logger): { store: LimitStore; close(): void } {
  // Options in a URL win over an options object, so the URL's keyPrefix is read from a template
  // and spelled out in the store's prefix; the connection itself adds none.
  const template = connect(url, { lazyConnect: true });
  const prefix = `${template.options.keyPrefix ?? ""}tokengate:rl:`;
  const client = duplicateClient(template, {
    keyPrefix: "",
    lazyConnect: false,
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
  });
  client.on("error", () => {
    // The limit store logs an outage once when it starts and once when it ends.
  });
  const store = new RedisLimitStore({ redis: client, prefix, onRedisError: "memory", logger });
  return { store, close: () => client.disconnect() };
}

/**
 * Connects a one-shot command's `--redis` cache, or says why it cannot: Redis must accept the
 * connection and answer a PING within `waitMs`, and the cache must then listen for invalidations
 * within what is left of it. None of the connections reconnects, so nothing is left running when
 * the command is done.
 */
export async function openCommandRedisCache(
  url: string,
  logger: Logger,
  waitMs: number,
): Promise<OpenedCache | RedisUnavailable> {
  const started = Date.now();
  const oneShot: Partial<RedisOptions> = {
    retryStrategy: () => null,
    connectTimeout: waitMs,
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
  };
  const client = connect(url, { ...oneShot, lazyConnect: true });
  let lastError: Error | undefined;
  client.on("error", (error: Error) => {
    lastError = error;
  });
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<"timeout">((resolve) => {
    timer = setTimeout(() => resolve("timeout"), waitMs);
  });
  const answered = client
    .connect()
    .then(() => client.ping())
    .then(
      () => "ok" as const,
      (error: unknown) => (error instanceof Error ? error : new Error(String(error))),
    );
  const outcome = await Promise.race([answered, timedOut]).finally(() => clearTimeout(timer));
  if (outcome !== "ok") {
    client.disconnect();
    const why =
      outcome === "timeout"
        ? `did not answer within ${seconds(waitMs)}`
        : `is not reachable (${(lastError ?? outcome).message})`;
    return { unavailable: `Redis at ${describeRedis(url)} ${why}` };
  }

  const { factory, ready } = tieredFactory(client, logger, oneShot);
  return {
    factory,
    async ready(timeoutMs) {
      return ready(Math.max(0, Math.min(timeoutMs, waitMs - (Date.now() - started))));
    },
    async close() {
      client.disconnect();
    },
  };
}
