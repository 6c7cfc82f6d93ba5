import { randomBytes } from "node:crypto";
import {
  type CacheHealth,
  type CacheObserver,
  type CacheTier,
  type ComponentHealth,
  type CredentialCache,
  type CredentialCacheFactory,
  type CredentialLookup,
  consoleLogger,
  type Logger,
  type LookupReport,
  OnceLog,
  type ResolvedCredential,
  TokenGateError,
  UP,
} from "@tokengate/core";
import type { RedisOptions } from "ioredis";
import { LRUCache } from "lru-cache";
import { CacheKeys } from "./cache-keys";
import { closeConnection } from "./close-connection";
import { decodeCredential, encodeCredential } from "./credential-codec";
import type { InvalidationMessage, InvalidationSink, InvalidationTransport } from "./invalidation";
import { ownConnectionOptions, RedisInvalidationChannel, subscriberConnectionOptions } from "./redis-channel";
import { clientKeyPrefix, duplicateClient, isCluster, type RedisClient } from "./redis-client";

/** The in-process tier. */
export interface LruTierOptions {
  /** Most entries kept. Default 10 000. */
  max?: number;
  /** How long a found credential is served without asking Redis or the store. Default 60 000 ms. */
  ttlMs?: number;
  /** How long "no such token" is remembered. Default 5 000 ms. */
  negativeTtlMs?: number;
}

export interface TieredCacheOptions {
  /**
   * The application's ioredis client. tokengate opens duplicates of it (one for commands, one for
   * SUBSCRIBE) with fail-fast options, and never closes or reconfigures the client itself.
   * Leave it out to run without Redis: then `invalidation` is required. A `Cluster` or a
   * Sentinel-managed client works the same way (see "Running at scale" in the README).
   */
  redis?: RedisClient;
  /** Key and channel prefix. Default: the client's `keyPrefix` followed by `tokengate:`. */
  prefix?: string;
  /** The in-process tier, or `false` for none (every lookup asks Redis). Default: on, with defaults. */
  lru?: LruTierOptions | false;
  /** Lifetime of a found credential in Redis. Default 300 000 ms; it bounds missed invalidations. */
  redisTtlMs?: number;
  /** Lifetime of a "no such token" entry in Redis. Default 5 000 ms. */
  redisNegativeTtlMs?: number;
  /** How invalidations reach the other instances. Default with `redis`: Redis pub/sub. */
  invalidation?: InvalidationTransport;
  /** Per-command timeout on tokengate's own Redis connections. Default 250 ms. */
  commandTimeoutMs?: number;
  /** How long `invalidate` waits for every instance to confirm over Redis. Default 1 000 ms. */
  ackTimeoutMs?: number;
  /** Overrides for the duplicated connections (e.g. `retryStrategy`). */
  redisOptions?: Partial<RedisOptions>;
  /** Where outages are reported, once when they start and once when they end. */
  logger?: Logger;
  /** The clock for in-process TTLs and retry pacing. */
  now?: () => Date;
}

/** The cache `tieredCache` builds: a `CredentialCache` that can also say whether it is degraded. */
export interface TieredCredentialCache extends CredentialCache {
  /**
   * True while the cache cannot trust its shared state (invalidation channel or Redis away): it
   * then answers every lookup from the store.
   */
  readonly degraded: boolean;
  /** Resolves when the cache is fully working (channel listening, Redis reachable). */
  whenHealthy(): Promise<void>;
  /** The cache, its channel and Redis, up or not, for `gate.health()`. */
  health(): CacheHealth;
  /** Closes tokengate's own connections and the transport; the application's client stays open. */
  close(): Promise<void>;
}

type Entry = { readonly value: ResolvedCredential | null };

interface Flight {
  readonly promise: Promise<ResolvedCredential | null>;
  /** Set when the digest is invalidated while this load runs: its result must not be cached. */
  revoked: boolean;
  /** `#epoch` when the load began: a changed epoch (invalidateAll, outage) has the same effect. */
  readonly epoch: number;
  /** Which tier answered, once it has (for telemetry). */
  tier: CacheTier;
}

/**
 * Writes a credential to Redis only if no invalidation happened since the load read the generation:
 * a load that began before a revocation and ends after it cannot put the revoked token back.
 * KEYS[1] entry, KEYS[2] the digest's generation (one slot: the digest's hash tag on a cluster);
 * ARGV[1] generation seen ("" for none), ARGV[2] value, ARGV[3] ttl.
 */
const SET_IF_GENERATION = `
local g = redis.call('GET', KEYS[2])
if (g or '') ~= ARGV[1] then return 0 end
redis.call('SET', KEYS[1], ARGV[2], 'PX', ARGV[3])
return 1`;

const RECOVERY_RETRY_MS = 1000;
/** A digest's generation outlives any load that could have read it before a revocation. */
const GENERATION_MARGIN_MS = 60_000;
/** The epoch key outlives every entry written under it (it is set again at each directory change). */
const EPOCH_TTL_MS = 30 * 24 * 3600 * 1000;

/**
 * A read-through credential cache in tiers: an in-process LRU, then Redis shared by every instance,
 * then the store. Unknown digests are cached briefly in both tiers. Concurrent misses for one digest
 * share one store query. `invalidate` drops the digests here, deletes them from Redis and tells every
 * other instance, and a generation check stops a load that was already running from caching a
 * revoked credential again.
 *
 * When Redis or the invalidation channel goes away, lookups go to the store and the in-process tier
 * is dropped until the channel is back (invalidations may have been missed meanwhile).
 *
 * @example
 * import Redis from "ioredis";
 * const gate = createTokenGate({ store, directory, cache: tieredCache({ redis: new Redis() }) });
 */
export function tieredCache(
  options: TieredCacheOptions = {},
): (source: CredentialLookup) => TieredCredentialCache {
  const lruOptions = options.lru === false ? false : (options.lru ?? {});
  if (!options.redis && !options.invalidation) {
    throw new TypeError(
      "tieredCache: without `redis`, pass `invalidation` (postgresInvalidation, sqliteDataVersionInvalidation, or localInvalidation for a single process)",
    );
  }
  if (!options.redis && lruOptions === false)
    throw new TypeError("tieredCache: with no Redis and no LRU there is nothing to cache");
  const positive = (name: string, value: number | undefined, fallback: number) => {
    const v = value ?? fallback;
    if (!Number.isFinite(v) || v <= 0) throw new TypeError(`tieredCache: ${name} must be a positive number`);
    return v;
  };
  const lru =
    lruOptions === false
      ? false
      : {
          max: positive("lru.max", lruOptions.max, 10_000),
          ttlMs: positive("lru.ttlMs", lruOptions.ttlMs, 60_000),
          negativeTtlMs: positive("lru.negativeTtlMs", lruOptions.negativeTtlMs, 5_000),
        };
  const config: CacheConfig = {
    lru,
    redisTtlMs: positive("redisTtlMs", options.redisTtlMs, 300_000),
    redisNegativeTtlMs: positive("redisNegativeTtlMs", options.redisNegativeTtlMs, 5_000),
    commandTimeoutMs: positive("commandTimeoutMs", options.commandTimeoutMs, 250),
    ackTimeoutMs: positive("ackTimeoutMs", options.ackTimeoutMs, 1_000),
    logger: options.logger ?? consoleLogger,
    now: options.now ?? (() => new Date()),
  };
  let used = false;
  const factory = (source: CredentialLookup, observer?: CacheObserver): TieredCredentialCache => {
    // A transport serves one cache; a factory called twice would share it.
    if (used && options.invalidation) {
      throw new Error("tieredCache: this factory's `invalidation` transport already serves a cache");
    }
    used = true;
    return new TieredCache(source, config, options, observer);
  };
  return factory satisfies CredentialCacheFactory;
}

interface CacheConfig {
  readonly lru: false | { max: number; ttlMs: number; negativeTtlMs: number };
  readonly redisTtlMs: number;
  readonly redisNegativeTtlMs: number;
  readonly commandTimeoutMs: number;
  readonly ackTimeoutMs: number;
  readonly logger: Logger;
  readonly now: () => Date;
}

class TieredCache implements TieredCredentialCache, InvalidationSink {
  readonly name: string;
  readonly #source: CredentialLookup;
  readonly #c: CacheConfig;
  readonly #lru: LRUCache<string, Entry> | undefined;
  readonly #redis: RedisClient | undefined;
  readonly #transport: InvalidationTransport;
  readonly #keys: CacheKeys;
  readonly #flights = new Map<string, Flight>();
  readonly #log: OnceLog;
  /** Bumped by invalidateAll and by every channel outage: loads begun before must not cache. */
  #epoch = 0;
  /**
   * The Redis tier's epoch as this instance last learnt it (from Redis at recovery, or from an "all"
   * message). An entry written under another epoch is a miss: a new epoch empties the Redis tier on
   * every node at once, with no SCAN, and whatever a failover brings back from a replica is stale.
   */
  #redisEpoch = "";
  /** Counts epochs learnt from messages, so a recovery's slower read cannot overwrite a newer one. */
  #epochNews = 0;
  /** The channel is listening and no invalidation can have been missed: the LRU may be served. */
  #channelUp = false;
  /** Redis is reachable and holds nothing an invalidation failed to remove. */
  #redisTrusted = false;
  /** An invalidation may not have reached Redis, or messages were missed: flush before trusting. */
  #redisSuspect = false;
  #recovering: Promise<void> | undefined;
  #lastRecoveryAt = Number.NEGATIVE_INFINITY;
  #healthyWaiters: Array<() => void> = [];
  #closed = false;
  readonly #observer: CacheObserver | undefined;

  constructor(
    source: CredentialLookup,
    config: CacheConfig,
    options: TieredCacheOptions,
    observer?: CacheObserver,
  ) {
    this.#source = source;
    this.#observer = observer;
    this.#c = config;
    const now = config.now;
    if (config.lru) {
      this.#lru = new LRUCache<string, Entry>({
        max: config.lru.max,
        ttl: config.lru.ttlMs,
        // Read the injected clock on every check: tests freeze it, and no timers are left behind.
        ttlResolution: 0,
        perf: { now: options.now ? () => now().getTime() : Date.now },
      });
    }
    const client = options.redis;
    const prefix = options.prefix ?? `${clientKeyPrefix(client)}tokengate:`;
    this.#keys = new CacheKeys(prefix, client !== undefined && isCluster(client));
    if (client) {
      const connection = ownConnectionOptions(config.commandTimeoutMs, options.redisOptions);
      this.#redis = duplicateClient(client, connection);
      this.#redis.on("error", () => {
        // Reported through the commands that fail and the subscriber's close; ioredis needs a listener.
      });
      this.#redis.on("ready", () => {
        if (!this.#redisTrusted) void this.#recover();
      });
      // A cluster node is gone (a master killed, a failover under way): writes it acknowledged may
      // not have reached the replica that replaces it, so a revoked entry could come back. The Redis
      // tier is distrusted until a new epoch has been set, which makes every older entry a miss.
      // Nodes dropped while the client first connects (a startup node named differently in the
      // slot table) and replicas (the pool opens them read-only) hold nothing to lose.
      const redis = this.#redis;
      if (isCluster(redis)) {
        redis.on("-node", (node: { options?: { readOnly?: boolean } }) => {
          if (redis.status === "ready" && !node.options?.readOnly) this.#nodeLost();
        });
      }
    }
    const subscriberOptions = subscriberConnectionOptions(
      ownConnectionOptions(config.commandTimeoutMs, options.redisOptions),
    );
    this.#transport =
      options.invalidation ??
      new RedisInvalidationChannel({
        commands: this.#redis!,
        ...(isCluster(client!)
          ? { subscriberOptions }
          : { subscriber: client!.duplicate(subscriberOptions) }),
        channel: this.#keys.channel,
        ackTimeoutMs: config.ackTimeoutMs,
        logger: config.logger,
      });
    this.name = [this.#lru ? "lru" : undefined, this.#redis ? "redis" : undefined, this.#transport.name]
      .filter(Boolean)
      .join("+");
    this.#log = new OnceLog(config.logger, `credential cache (${this.name})`);
    this.#transport.attach(this);
  }

  get degraded(): boolean {
    return !this.#healthy();
  }

  #healthy(): boolean {
    return this.#channelUp && (!this.#redis || this.#redisTrusted);
  }

  health(): CacheHealth {
    const redis: ComponentHealth | undefined = !this.#redis
      ? undefined
      : this.#redisTrusted
        ? UP
        : { status: "down", reason: "Redis cannot be reached, or is being flushed after an outage" };
    const invalidation: ComponentHealth = this.#transport.connected
      ? UP
      : { status: "down", reason: `the invalidation channel (${this.#transport.name}) is not delivering` };
    const cache: ComponentHealth = this.#closed
      ? { status: "down", reason: "the cache is closed" }
      : this.#healthy()
        ? UP
        : {
            status: "degraded",
            reason: "every lookup goes to the store until the channel and Redis are back",
          };
    return redis ? { cache, invalidation, redis } : { cache, invalidation };
  }

  whenHealthy(): Promise<void> {
    if (this.#healthy()) return Promise.resolve();
    return new Promise((resolve) => this.#healthyWaiters.push(resolve));
  }

  #checkHealthy(): void {
    if (!this.#healthy()) return;
    this.#log.recover();
    const waiters = this.#healthyWaiters;
    this.#healthyWaiters = [];
    for (const w of waiters) w();
  }

  // ---- lookups -------------------------------------------------------------------------------

  /** Reads of the in-process tier are counted here, where the verifier asks first. */
  peek(digest: string): ResolvedCredential | null | undefined {
    const value = this.#peekLocal(digest);
    if (this.#observer && this.#lru && this.#channelUp)
      this.#observer.cacheRead("memory", value !== undefined);
    return value;
  }

  #peekLocal(digest: string): ResolvedCredential | null | undefined {
    if (!this.#lru) return undefined;
    this.#transport.beforeLocalRead?.();
    // While the invalidation channel is down a local copy may have been revoked elsewhere.
    if (!this.#channelUp) return undefined;
    return this.#lru.get(digest)?.value;
  }

  lookup(digest: string, report?: LookupReport): Promise<ResolvedCredential | null> {
    const hit = this.#peekLocal(digest);
    if (hit !== undefined) {
      if (report) report.tier = "memory";
      return Promise.resolve(hit);
    }
    const flight = this.#flights.get(digest) ?? this.#load(digest);
    return report ? this.#reported(flight, report) : flight.promise;
  }

  /** Waits for a load and says which tier answered it (only when telemetry asks). */
  async #reported(flight: Flight, report: LookupReport): Promise<ResolvedCredential | null> {
    const value = await flight.promise;
    report.tier = flight.tier;
    return value;
  }

  #load(digest: string): Flight {
    const flight: { -readonly [K in keyof Flight]: Flight[K] } = {
      promise: undefined as unknown as Promise<ResolvedCredential | null>,
      revoked: false,
      epoch: this.#epoch,
      tier: "store",
    };
    flight.promise = this.#loadThroughTiers(digest, flight).finally(() => {
      if (this.#flights.get(digest) === flight) this.#flights.delete(digest);
    });
    this.#flights.set(digest, flight);
    return flight;
  }

  #current(flight: Flight): boolean {
    return !flight.revoked && flight.epoch === this.#epoch;
  }

  async #loadThroughTiers(digest: string, flight: Flight): Promise<ResolvedCredential | null> {
    const redis = this.#redis;
    const key = this.#keys.credential(digest);
    const genKey = this.#keys.generation(digest);
    const epoch = this.#redisEpoch;
    // The generation seen before reading the store; undefined: do not write to Redis.
    let generation: string | undefined;
    if (redis && this.#redisTrusted) {
      try {
        // One slot (the digest's hash tag on a cluster), so one round trip.
        const [raw, gen] = await redis.mget(key, genKey);
        generation = gen ?? "";
        const decoded = raw == null ? undefined : decodeCredential(raw, digest);
        const current = decoded != null && decoded.epoch === epoch;
        this.#observer?.cacheRead("redis", current);
        if (decoded && current) {
          flight.tier = "redis";
          this.#fillLocal(digest, decoded, flight);
          return decoded.value;
        }
      } catch (cause) {
        this.#redisFailed(cause, false);
        generation = undefined;
      }
    } else if (redis) {
      this.#maybeRecover();
    }

    // The store's errors propagate: the verifier answers 503, never a 401 and never a pass.
    const value = await this.#source.lookup(digest);

    if (redis && generation !== undefined && this.#current(flight) && this.#redisTrusted) {
      const ttl = value ? this.#c.redisTtlMs : this.#c.redisNegativeTtlMs;
      try {
        await redis.eval(SET_IF_GENERATION, 2, key, genKey, generation, encodeCredential(value, epoch), ttl);
      } catch (cause) {
        this.#redisFailed(cause, false);
      }
    }
    this.#fillLocal(digest, { value }, flight);
    return value;
  }

  #fillLocal(digest: string, entry: Entry, flight: Flight): void {
    if (!this.#lru || !this.#channelUp || !this.#current(flight) || !this.#c.lru) return;
    this.#lru.set(digest, entry, { ttl: entry.value ? this.#c.lru.ttlMs : this.#c.lru.negativeTtlMs });
  }

  // ---- invalidation --------------------------------------------------------------------------

  #dropLocal(digests: readonly string[]): void {
    for (const digest of digests) {
      this.#lru?.delete(digest);
      const flight = this.#flights.get(digest);
      if (flight) {
        flight.revoked = true;
        // Lookups from now on start a fresh load instead of joining one that may return the old answer.
        this.#flights.delete(digest);
      }
    }
  }

  #dropAllLocal(): void {
    this.#epoch++;
    this.#lru?.clear();
    for (const flight of this.#flights.values()) flight.revoked = true;
    this.#flights.clear();
  }

  async invalidate(digests: readonly string[]): Promise<void> {
    if (digests.length === 0) return;
    this.#dropLocal(digests);
    const redis = this.#redis;
    if (redis) {
      try {
        await this.#deleteEntries(redis, digests);
      } catch (cause) {
        this.#redisFailed(cause, true);
        // The entries may still be in Redis (their node is failing over, say). A new epoch, on
        // whichever node holds the epoch key, makes them misses everywhere; failing that, the other
        // instances are still told to drop their copies before this one says it could not finish.
        let epoch: string;
        try {
          epoch = await this.#newEpoch(redis);
        } catch {
          await this.#transport.publish({ kind: "digests", digests }).catch(() => {});
          throw this.#undelivered(cause);
        }
        await this.#publish({ kind: "all", epoch });
        return;
      }
    }
    await this.#publish({ kind: "digests", digests });
  }

  /**
   * Per digest, in one transaction: the entry goes and its generation moves together, so a load
   * that read the store before the revocation fails its conditional write whichever comes first.
   * On a cluster each digest is its own slot, so each gets its own transaction (all at once).
   */
  async #deleteEntries(redis: RedisClient, digests: readonly string[]): Promise<void> {
    const groups = this.#keys.cluster ? digests.map((d) => [d]) : [digests];
    const genTtl = this.#c.redisTtlMs + GENERATION_MARGIN_MS;
    await Promise.all(
      groups.map(async (group) => {
        const multi = redis.multi().unlink(...group.map((d) => this.#keys.credential(d)));
        for (const d of group) multi.incr(this.#keys.generation(d)).pexpire(this.#keys.generation(d), genTtl);
        const results = await multi.exec();
        const failed = results?.find(([err]) => err)?.[0];
        if (!results || failed) throw failed ?? new Error("Redis transaction aborted");
      }),
    );
  }

  async invalidateAll(): Promise<void> {
    this.#dropAllLocal();
    let epoch: string | undefined;
    if (this.#redis) {
      try {
        epoch = await this.#newEpoch(this.#redis);
      } catch (cause) {
        this.#redisFailed(cause, true);
        throw this.#undelivered(cause);
      }
      await this.#sweep(this.#redis);
    }
    await this.#publish(epoch === undefined ? { kind: "all" } : { kind: "all", epoch });
  }

  async #publish(message: InvalidationMessage): Promise<void> {
    const started = performance.now();
    try {
      await this.#transport.publish(message);
      this.#observer?.invalidationSettled((performance.now() - started) / 1000, true);
    } catch (cause) {
      this.#observer?.invalidationSettled((performance.now() - started) / 1000, false);
      this.#log.fail(cause);
      throw this.#undelivered(cause);
    }
  }

  /**
   * The revocation is in the store and dropped here, but other instances could not be told. Said
   * loudly rather than resolved: `invalidate` promises every instance has been told. Instances that
   * lost Redis too already answer from the store; this one flushes Redis when it is back.
   */
  #undelivered(cause: unknown): TokenGateError {
    return new TokenGateError("store_unavailable", {
      message: "The change is stored, but the credential cache could not tell every instance yet",
      cause,
      retryAfter: 1,
    });
  }

  /**
   * Empties the Redis tier for every instance at once: a fresh random epoch, in one key. Entries
   * carry the epoch they were loaded under, and every instance reads only its current epoch's, so
   * nothing written before now is served again, on any node, even one a failover brings back. This
   * instance adopts it here; the others with the "all" message that carries it.
   */
  async #newEpoch(redis: RedisClient): Promise<string> {
    const epoch = randomBytes(9).toString("base64url");
    const ttl = Math.max(EPOCH_TTL_MS, 2 * this.#c.redisTtlMs);
    await redis.set(this.#keys.epoch, epoch, "PX", ttl);
    this.#redisEpoch = epoch;
    this.#epochNews++;
    return epoch;
  }

  /** The epoch in Redis, read again when trust returns; a newer one heard meanwhile wins. */
  async #readEpoch(redis: RedisClient): Promise<void> {
    for (;;) {
      const news = this.#epochNews;
      const epoch = (await redis.get(this.#keys.epoch)) ?? "";
      if (news !== this.#epochNews) continue;
      this.#redisEpoch = epoch;
      return;
    }
  }

  /**
   * Deletes the orphaned entries after a new epoch, to give the memory back sooner than their TTL
   * (the epoch alone already makes them misses, so a failure here changes no answer). SCAN, not
   * KEYS: KEYS walks the whole keyspace in one command and blocks every other client of a Redis that
   * may hold millions of keys; SCAN does it in small steps. On a cluster, on every master.
   */
  async #sweep(redis: RedisClient): Promise<void> {
    const match = this.#keys.credentialPattern;
    const nodes = isCluster(redis) ? redis.nodes("master") : [redis];
    await Promise.all(
      nodes.map(async (node) => {
        try {
          let cursor = "0";
          do {
            const [next, keys] = await node.scan(cursor, "MATCH", match, "COUNT", 1000);
            cursor = next;
            if (keys.length === 0) continue;
            if (!this.#keys.cluster) await node.unlink(...keys);
            else {
              // A node answers a multi-key UNLINK only within one slot: one key per command.
              const pipeline = node.pipeline();
              for (const key of keys) pipeline.unlink(key);
              await pipeline.exec();
            }
          } while (cursor !== "0");
        } catch {
          // The entries are misses already; they expire on their own.
        }
      }),
    );
  }

  // ---- the transport's reports and recovery ---------------------------------------------------

  received(message: InvalidationMessage): void {
    if (message.kind === "all") {
      if (message.epoch !== undefined) {
        this.#redisEpoch = message.epoch;
        this.#epochNews++;
      }
      this.#dropAllLocal();
    } else this.#dropLocal(message.digests);
  }

  lost(cause: unknown): void {
    this.#channelUp = false;
    this.#redisTrusted = false;
    // Invalidations sent while we cannot hear them may also have failed to reach Redis.
    this.#redisSuspect = true;
    this.#dropAllLocal();
    this.#log.fail(cause);
  }

  restored(): void {
    this.#dropAllLocal();
    if (!this.#redis) {
      this.#channelUp = true;
      this.#checkHealthy();
      return;
    }
    void this.#recover();
  }

  #nodeLost(): void {
    if (this.#closed) return;
    this.#redisFailed(new Error("a Redis Cluster node is gone"), true);
    void this.#recover();
  }

  #redisFailed(cause: unknown, suspect: boolean): void {
    this.#redisTrusted = false;
    if (suspect) this.#redisSuspect = true;
    this.#log.fail(cause);
  }

  #maybeRecover(): void {
    const t = this.#c.now().getTime();
    if (t - this.#lastRecoveryAt < RECOVERY_RETRY_MS) return;
    this.#lastRecoveryAt = t;
    void this.#recover();
  }

  /** Trusts Redis (and the LRU) again once the channel listens and any suspect content is flushed. */
  #recover(): Promise<void> {
    if (this.#recovering) return this.#recovering;
    const redis = this.#redis;
    if (!redis || this.#closed || !this.#transport.connected) return Promise.resolve();
    // The subscriber may come up before the commands connection: a PING now would fail (fail-fast
    // connections queue nothing) and log a false outage. That connection's "ready" starts this again.
    if (redis.status !== "ready") return Promise.resolve();
    this.#recovering = (async () => {
      try {
        if (this.#redisSuspect) {
          const epoch = await this.#newEpoch(redis);
          // Instances that stayed connected still hold what this one could not tell them.
          await this.#transport.publish({ kind: "all", epoch });
          this.#redisSuspect = false;
        } else {
          await this.#readEpoch(redis);
        }
        if (!this.#transport.connected) return;
        this.#dropAllLocal();
        this.#redisTrusted = true;
        this.#channelUp = true;
        this.#checkHealthy();
      } catch (cause) {
        this.#log.fail(cause);
        // A cluster stays "ready" while one of its masters fails over: no event will start this
        // again, so it retries on its own until the epoch's node answers.
        if (this.#keys.cluster && !this.#closed)
          setTimeout(() => void this.#recover(), RECOVERY_RETRY_MS).unref();
      } finally {
        this.#recovering = undefined;
      }
    })();
    return this.#recovering;
  }

  async close(): Promise<void> {
    this.#closed = true;
    this.#channelUp = false;
    this.#dropAllLocal();
    await this.#transport.close();
    if (this.#redis) await closeConnection(this.#redis);
  }
}
