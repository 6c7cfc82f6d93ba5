import { createTokenGate, type Logger, type TokenGate } from "@tokengate/core";
import { type OpenedStore, openStore } from "./open-store";
import { type OpenedCache, openRedisCache } from "./redis-cache";

export interface OpenGateOptions {
  /** The `--store` URL. */
  readonly storeUrl: string;
  /** The `--redis` URL: a shared cache whose invalidation reaches every server at once. */
  readonly redisUrl?: string | undefined;
  /** Relative `sqlite:` paths resolve against it. */
  readonly baseDir: string;
  readonly logger: Logger;
  /** Record last-used times (a server does; a one-shot command verifies nothing). */
  readonly trackUsage: boolean;
  /** Create PostgreSQL tables if missing (the demo server does, so it starts on an empty database). */
  readonly migrate?: boolean;
  /** Create a missing SQLite file (serve, and the default demo store) or refuse (an operator's typo). */
  readonly createSqliteFile?: boolean;
}

/** A gate over the store (and cache) the command line names, and how to close all of it. */
export interface OpenedGate {
  readonly gate: TokenGate;
  readonly opened: OpenedStore;
  /** The `--redis` cache, when one was asked for. */
  readonly cache: OpenedCache | undefined;
  /** Flushes last-used times, closes the cache, then the store. */
  close(): Promise<void>;
}

/** Opens the store, the optional Redis cache and the gate over them. */
export async function openGate(options: OpenGateOptions): Promise<OpenedGate> {
  const opened = await openStore(options.storeUrl, options.baseDir, {
    createSqliteFile: options.createSqliteFile ?? true,
  });
  try {
    if (options.migrate) await opened.migrate();
    const cache = options.redisUrl ? await openRedisCache(options.redisUrl, options.logger) : undefined;
    const gate = createTokenGate({
      store: opened.store,
      directory: opened.directory,
      logger: options.logger,
      usageFlushIntervalMs: options.trackUsage ? 2_000 : false,
      ...(cache ? { cache: cache.factory } : {}),
    });
    return {
      gate,
      opened,
      cache,
      async close() {
        await gate.close();
        await cache?.close();
        await opened.close();
      },
    };
  } catch (error) {
    await opened.close();
    throw error;
  }
}
