/**
 * A gate over the store and (optionally) the Redis cache that the command line names: for `serve`,
 * which creates what is missing and keeps reconnecting, and for one-shot commands, which refuse a
 * store that does not exist and wait on nothing longer than the bounds in `deadline.ts`.
 */
import { createTokenGate, type Logger, type TokenGate } from "@tokengate/core";
import { FailedAuthLimiter, type LimitStore, MemoryLimitStore } from "@tokengate/redis";
import { POSTGRES_QUERY_MS, REDIS_WAIT_MS } from "./deadline";
import { type OpenedStore, openStore } from "./open-store";
import {
  type OpenedCache,
  openCommandRedisCache,
  openRedisCache,
  openRedisLimitStore,
  type RedisUnavailable,
} from "./redis-cache";

/** Failed attempts per address the demo allows per window before it answers 429. */
export const DEMO_FAILED_ATTEMPTS = { maxFailures: 10, windowSeconds: 60 } as const;

export interface OpenGateOptions {
  /** The `--store` URL. */
  readonly storeUrl: string;
  /** The `--redis` URL: a shared cache whose invalidation reaches every server at once. */
  readonly redisUrl?: string | undefined;
  /** Relative `sqlite:` paths resolve against it. */
  readonly baseDir: string;
  readonly logger: Logger;
  /**
   * `server` (`serve`): creates a missing store and its tables, records last-used times, limits
   * failed attempts per address, and keeps reconnecting to Redis. `command` (everything else):
   * refuses a store that does not exist, bounds every wait, and reports a Redis that does not
   * answer in `redisUnavailable` instead of waiting for it.
   */
  readonly purpose: "server" | "command";
}

/** A gate over the store (and cache) the command line names, and how to close all of it. */
export interface OpenedGate {
  readonly gate: TokenGate;
  readonly opened: OpenedStore;
  /** The `--redis` cache, when one was asked for and answered. */
  readonly cache: OpenedCache | undefined;
  /**
   * Set for a command whose `--redis` did not answer in time: the gate then runs without the
   * cache, and the command decides whether to go on (see `program.ts`).
   */
  readonly redisUnavailable: string | undefined;
  /** Flushes last-used times, closes the cache and the limiter's connection, then the store. */
  close(): Promise<void>;
}

/** Opens the store, the optional Redis cache and the gate over them. */
export async function openGate(options: OpenGateOptions): Promise<OpenedGate> {
  const server = options.purpose === "server";
  const opened = await openStore(
    options.storeUrl,
    options.baseDir,
    server ? {} : { mustExist: true, queryTimeoutMs: POSTGRES_QUERY_MS },
  );
  const closers: Array<() => unknown> = [];
  try {
    if (server) await opened.migrate();
    let cache: OpenedCache | undefined;
    let redisUnavailable: string | undefined;
    if (options.redisUrl && server) {
      cache = await openRedisCache(options.redisUrl, options.logger);
    } else if (options.redisUrl) {
      const connected = await openCommandRedisCache(options.redisUrl, options.logger, REDIS_WAIT_MS);
      if (isUnavailable(connected)) redisUnavailable = connected.unavailable;
      else cache = connected;
    }
    if (cache) closers.push(() => cache.close());

    let failureLimiter: FailedAuthLimiter | undefined;
    if (server) {
      let limits: LimitStore = new MemoryLimitStore();
      if (options.redisUrl) {
        const redisLimits = openRedisLimitStore(options.redisUrl, options.logger);
        closers.push(redisLimits.close);
        limits = redisLimits.store;
      }
      failureLimiter = new FailedAuthLimiter({ store: limits, ...DEMO_FAILED_ATTEMPTS });
    }

    const gate = createTokenGate({
      store: opened.store,
      directory: opened.directory,
      // Lifecycle events and refusals go to the store's own log; a command's are written on close.
      securityLog: opened.securityLog,
      logger: options.logger,
      // A one-shot command verifies nothing, so it has no last use to record.
      usageFlushIntervalMs: server ? 2_000 : false,
      ...(cache ? { cache: cache.factory } : {}),
      ...(failureLimiter ? { failureLimiter } : {}),
    });
    if (cache && !server && !(await cache.ready(REDIS_WAIT_MS))) {
      redisUnavailable =
        "Redis answered, but the cache could not subscribe to its invalidation channel in time";
    }
    return {
      gate,
      opened,
      cache,
      redisUnavailable,
      async close() {
        await gate.close();
        for (const close of closers) await close();
        await opened.close();
      },
    };
  } catch (error) {
    for (const close of closers) await close();
    await opened.close();
    throw error;
  }
}

function isUnavailable(value: OpenedCache | RedisUnavailable): value is RedisUnavailable {
  return "unavailable" in value;
}
