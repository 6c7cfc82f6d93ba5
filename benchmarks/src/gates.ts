/**
 * The tokengate configurations under test, built the way an application would build them. Shared
 * by the server processes (HTTP rows) and the in-process microbenchmarks.
 */
import { metrics, trace } from "@opentelemetry/api";
import {
  MeterProvider,
  PeriodicExportingMetricReader,
  type PushMetricExporter,
} from "@opentelemetry/sdk-metrics";
import { BasicTracerProvider, BatchSpanProcessor, type SpanExporter } from "@opentelemetry/sdk-trace-base";
import { type SharedTierFactory, tieredCache } from "@tokengate/cache";
import { createTokenGate, silentLogger, type TokenGate, type TokenGateOptions } from "@tokengate/core";
import { PostgresDirectory, PostgresTokenStore } from "@tokengate/postgres";
import { openSqlite } from "@tokengate/sqlite";
import Redis, { type Cluster, type RedisOptions } from "ioredis";
import pg from "pg";

/** Where the stores and Redis are, and which prefix and schema are ours. */
export interface GateEnvironment {
  readonly sqliteFile: string;
  readonly postgresUrl: string;
  readonly postgresSchema: string;
  readonly redisUrl: string;
  readonly redisPrefix: string;
  /** A Redis Cluster (`redis+cluster://…`) for the cluster flavours; absent: they are pending. */
  readonly redisClusterUrl?: string;
}

/**
 * How the gate is built. The Redis flavours come in pairs, single server and Cluster, so the two
 * rows differ in the topology only: "redis-only" has no in-process tier (every verify asks Redis);
 * "rate-limited" has the warm in-process tier and the Redis rate limiter (one script per request).
 */
export type GateFlavour =
  | "warm"
  | "warm-telemetry-off"
  | "warm-otel-sdk"
  | "redis-only"
  | "redis-only-cluster"
  | "rate-limited"
  | "rate-limited-cluster"
  | "sqlite"
  | "postgres";

const CLUSTER_FLAVOURS: ReadonlySet<GateFlavour> = new Set(["redis-only-cluster", "rate-limited-cluster"]);

/** A limit the benchmark never reaches: the limiter is consulted on every request, never refuses. */
const UNREACHED_LIMIT = { name: "minute", limit: 1_000_000_000, windowSeconds: 60 };

/**
 * Registers a real OpenTelemetry SDK as an application would: batch span processor, periodic
 * metric reader. The exporters drop what they are given, so the row measures recording, not a
 * collector's network. Returns how to unregister it.
 */
function registerOtelSdk(): () => Promise<void> {
  const spans: SpanExporter = {
    export: (_spans, done) => done({ code: 0 }),
    shutdown: async () => {},
  };
  const metricExporter: PushMetricExporter = {
    export: (_metrics, done) => done({ code: 0 }),
    forceFlush: async () => {},
    shutdown: async () => {},
  };
  const tracerProvider = new BasicTracerProvider({ spanProcessors: [new BatchSpanProcessor(spans)] });
  const meterProvider = new MeterProvider({
    readers: [new PeriodicExportingMetricReader({ exporter: metricExporter, exportIntervalMillis: 10_000 })],
  });
  trace.setGlobalTracerProvider(tracerProvider);
  metrics.setGlobalMeterProvider(meterProvider);
  return async () => {
    await Promise.all([tracerProvider.shutdown(), meterProvider.shutdown()]);
    trace.disable();
    metrics.disable();
  };
}

/** A built gate and how to let go of everything it holds. */
export interface BuiltGate {
  readonly gate: TokenGate;
  close(): Promise<void>;
}

/** Why a flavour cannot be built yet (its package has not landed), or null when it can. */
export type Pending = { readonly pending: string };

/**
 * The part of `@tokengate/redis` used here, checked at run time: the package was being written
 * alongside these benchmarks, and a missing export makes those rows "pending", not a crash.
 */
interface RedisModule {
  redisTier(options: { redis: RedisClient; prefix: string }): SharedTierFactory;
  connectRedis(url: string, options?: { redisOptions?: Partial<RedisOptions> }): RedisClient;
  RedisLimitStore: new (options: { redis: RedisClient; prefix: string }) => unknown;
  TokenRateLimiter: new (options: {
    store: unknown;
    token: ReadonlyArray<typeof UNREACHED_LIMIT>;
  }) => NonNullable<TokenGateOptions["rateLimiter"]>;
}

type RedisClient = Redis | Cluster;

async function loadRedisModule(): Promise<RedisModule | null> {
  // A variable specifier keeps the type checker from requiring the package before it lands.
  const specifier = "@tokengate/redis";
  try {
    const module = (await import(specifier)) as Partial<RedisModule>;
    return typeof module.redisTier === "function" && typeof module.connectRedis === "function"
      ? (module as RedisModule)
      : null;
  } catch {
    return null;
  }
}

/**
 * Builds one flavour of tokengate. The cached flavours read the SQLite file behind the cache, so a
 * miss still has a real store to fall back on. Usage tracking stays on (the default interval), as
 * it would in production: its cost on the request path is part of what is measured.
 */
export async function buildGate(flavour: GateFlavour, env: GateEnvironment): Promise<BuiltGate | Pending> {
  if (flavour === "postgres") {
    const pool = new pg.Pool({ connectionString: env.postgresUrl, max: 10, connectionTimeoutMillis: 5_000 });
    const gate = createTokenGate({
      store: new PostgresTokenStore(pool, { schema: env.postgresSchema }),
      directory: new PostgresDirectory(pool, { schema: env.postgresSchema }),
      logger: silentLogger,
    });
    return {
      gate,
      async close() {
        await gate.close();
        await pool.end();
      },
    };
  }

  const sqlite = openSqlite(env.sqliteFile);
  if (flavour === "sqlite") {
    const gate = createTokenGate({ store: sqlite.store, directory: sqlite.directory, logger: silentLogger });
    return {
      gate,
      async close() {
        await gate.close();
        sqlite.close();
      },
    };
  }

  const module = await loadRedisModule();
  if (!module) {
    sqlite.close();
    return { pending: "@tokengate/redis" };
  }
  const onCluster = CLUSTER_FLAVOURS.has(flavour);
  if (onCluster && !env.redisClusterUrl) {
    sqlite.close();
    return { pending: "a Redis Cluster (benchmarks/src/cluster.ts)" };
  }
  const redis = onCluster
    ? module.connectRedis(env.redisClusterUrl!, { redisOptions: { maxRetriesPerRequest: 1 } })
    : new Redis(env.redisUrl, { lazyConnect: false, maxRetriesPerRequest: 1 });
  const redisOnly = flavour === "redis-only" || flavour === "redis-only-cluster";
  const rateLimited = flavour === "rate-limited" || flavour === "rate-limited-cluster";
  const cache = tieredCache({
    shared: module.redisTier({ redis, prefix: `${env.redisPrefix}tokengate:` }),
    ...(redisOnly ? { lru: false as const } : {}),
  });
  const rateLimiter = rateLimited
    ? new module.TokenRateLimiter({
        store: new module.RedisLimitStore({ redis, prefix: `${env.redisPrefix}rl:` }),
        token: [UNREACHED_LIMIT],
      })
    : undefined;
  // Before the gate: the metrics API has no proxy, so instruments must be made after registration.
  const unregisterOtel = flavour === "warm-otel-sdk" ? registerOtelSdk() : undefined;
  const gate = createTokenGate({
    store: sqlite.store,
    directory: sqlite.directory,
    cache,
    ...(rateLimiter ? { rateLimiter } : {}),
    logger: silentLogger,
    ...(flavour === "warm-telemetry-off" ? { telemetry: false as const } : {}),
  });
  // The LRU is only served once the invalidation channel listens: measure the cache working, not
  // its first second of start-up.
  const healthy = (gate.cache as { whenHealthy?: () => Promise<void> } | undefined)?.whenHealthy?.();
  if (healthy) {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error("the tiered cache did not become healthy in 10 s")), 10_000);
    });
    try {
      await Promise.race([healthy, timeout]);
    } catch (error) {
      await gate.close();
      redis.disconnect();
      sqlite.close();
      await unregisterOtel?.();
      throw error;
    } finally {
      clearTimeout(timer);
    }
  }
  return {
    gate,
    async close() {
      await gate.close();
      redis.disconnect();
      sqlite.close();
      await unregisterOtel?.();
    },
  };
}

export function isPending(value: BuiltGate | Pending): value is Pending {
  return "pending" in value;
}
