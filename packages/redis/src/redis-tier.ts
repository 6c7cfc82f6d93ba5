/**
 * The Redis tier of `tieredCache` (`@tokengate/cache`): the shared tier every instance reads between
 * its in-process LRU and the store. It stores and reads (keys in `cache-keys.ts`, values in
 * `credential-codec.ts`); the cache decides when to trust it. Its default invalidation channel is
 * Redis pub/sub on the same connections (`redis-channel.ts`).
 */
import { randomBytes } from "node:crypto";
import type {
  SharedRead,
  SharedTier,
  SharedTierContext,
  SharedTierEvents,
  SharedTierFactory,
} from "@tokengate/cache";
import type { InvalidationTransport, Logger, ResolvedCredential } from "@tokengate/core";
import type { RedisOptions } from "ioredis";
import { CacheKeys } from "./cache-keys";
import { closeConnection } from "./close-connection";
import { decodeCredential, encodeCredential } from "./credential-codec";
import { ownConnectionOptions, RedisInvalidationChannel, subscriberConnectionOptions } from "./redis-channel";
import { clientKeyPrefix, duplicateClient, isCluster, type RedisClient } from "./redis-client";

export interface RedisTierOptions {
  /**
   * The application's ioredis client. tokengate opens duplicates of it (one for commands, one for
   * SUBSCRIBE) with fail-fast options, and never closes or reconfigures the client itself. A
   * `Cluster` or a Sentinel-managed client works the same way (see "Running at scale" in the README).
   */
  redis: RedisClient;
  /** Key and channel prefix. Default: the client's `keyPrefix` followed by `tokengate:`. */
  prefix?: string;
  /** Lifetime of a found credential in Redis. Default 300 000 ms; it bounds missed invalidations. */
  ttlMs?: number;
  /** Lifetime of a "no such token" entry in Redis. Default 5 000 ms. */
  negativeTtlMs?: number;
  /** Per-command timeout on tokengate's own Redis connections. Default 250 ms. */
  commandTimeoutMs?: number;
  /** How long `invalidate` waits for every instance to confirm over Redis (default channel). Default 1 000 ms. */
  ackTimeoutMs?: number;
  /** Overrides for the duplicated connections (e.g. `retryStrategy`). */
  redisOptions?: Partial<RedisOptions>;
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

/** A digest's generation outlives any load that could have read it before a revocation. */
const GENERATION_MARGIN_MS = 60_000;
/** The epoch key outlives every entry written under it (it is set again at each directory change). */
const EPOCH_TTL_MS = 30 * 24 * 3600 * 1000;

const positive = (name: string, value: number | undefined, fallback: number): number => {
  const v = value ?? fallback;
  if (!Number.isFinite(v) || v <= 0) throw new TypeError(`redisTier: ${name} must be a positive number`);
  return v;
};

interface RedisTierConfig {
  readonly redis: RedisClient;
  readonly prefix: string | undefined;
  readonly ttlMs: number;
  readonly negativeTtlMs: number;
  readonly commandTimeoutMs: number;
  readonly ackTimeoutMs: number;
  readonly redisOptions: Partial<RedisOptions> | undefined;
}

/**
 * Redis as `tieredCache`'s shared tier. Each cache the factory builds opens its own connections.
 *
 * @example
 * import { tieredCache } from "@tokengate/cache";
 * import { redisTier } from "@tokengate/redis";
 * createTokenGate({ store, directory, cache: tieredCache({ shared: redisTier({ redis: new Redis() }) }) });
 */
export function redisTier(options: RedisTierOptions): SharedTierFactory {
  if (!options?.redis) throw new TypeError("redisTier: `redis` (an ioredis client) is required");
  const config: RedisTierConfig = {
    redis: options.redis,
    prefix: options.prefix,
    ttlMs: positive("ttlMs", options.ttlMs, 300_000),
    negativeTtlMs: positive("negativeTtlMs", options.negativeTtlMs, 5_000),
    commandTimeoutMs: positive("commandTimeoutMs", options.commandTimeoutMs, 250),
    ackTimeoutMs: positive("ackTimeoutMs", options.ackTimeoutMs, 1_000),
    redisOptions: options.redisOptions,
  };
  return function buildRedisTier(context: SharedTierContext): SharedTier {
    return new RedisTier(config, context.logger);
  };
}

class RedisTier implements SharedTier {
  readonly name = "redis";
  readonly tier = "redis";
  readonly #c: RedisTierConfig;
  readonly #logger: Logger;
  readonly #client: RedisClient;
  readonly #redis: RedisClient;
  readonly #keys: CacheKeys;

  constructor(config: RedisTierConfig, logger: Logger) {
    this.#c = config;
    this.#logger = logger;
    const client = config.redis;
    this.#client = client;
    this.#keys = new CacheKeys(config.prefix ?? `${clientKeyPrefix(client)}tokengate:`, isCluster(client));
    this.#redis = duplicateClient(client, ownConnectionOptions(config.commandTimeoutMs, config.redisOptions));
    this.#redis.on("error", () => {
      // Reported through the commands that fail and the subscriber's close; ioredis needs a listener.
    });
  }

  get ready(): boolean {
    return this.#redis.status === "ready";
  }

  get retriesRecovery(): boolean {
    return this.#keys.cluster;
  }

  attach(events: SharedTierEvents): void {
    const redis = this.#redis;
    redis.on("ready", () => events.ready());
    // A cluster node is gone (a master killed, a failover under way): writes it acknowledged may
    // not have reached the replica that replaces it, so a revoked entry could come back. The Redis
    // tier is distrusted until a new epoch has been set, which makes every older entry a miss.
    // Nodes dropped while the client first connects (a startup node named differently in the
    // slot table) and replicas (the pool opens them read-only) hold nothing to lose.
    if (isCluster(redis)) {
      redis.on("-node", (node: { options?: { readOnly?: boolean } }) => {
        if (redis.status === "ready" && !node.options?.readOnly)
          events.lost(new Error("a Redis Cluster node is gone"));
      });
    }
  }

  defaultInvalidation(): InvalidationTransport {
    const client = this.#client;
    const subscriberOptions = subscriberConnectionOptions(
      ownConnectionOptions(this.#c.commandTimeoutMs, this.#c.redisOptions),
    );
    return new RedisInvalidationChannel({
      commands: this.#redis,
      ...(isCluster(client) ? { subscriberOptions } : { subscriber: client.duplicate(subscriberOptions) }),
      channel: this.#keys.channel,
      ackTimeoutMs: this.#c.ackTimeoutMs,
      logger: this.#logger,
    });
  }

  async read(digest: string): Promise<SharedRead> {
    // One slot (the digest's hash tag on a cluster), so one round trip.
    const [raw, gen] = await this.#redis.mget(this.#keys.credential(digest), this.#keys.generation(digest));
    return { entry: raw == null ? undefined : decodeCredential(raw, digest), generation: gen ?? "" };
  }

  async write(
    digest: string,
    value: ResolvedCredential | null,
    generation: string,
    epoch: string,
  ): Promise<void> {
    const ttl = value ? this.#c.ttlMs : this.#c.negativeTtlMs;
    const key = this.#keys.credential(digest);
    const genKey = this.#keys.generation(digest);
    await this.#redis.eval(
      SET_IF_GENERATION,
      2,
      key,
      genKey,
      generation,
      encodeCredential(value, epoch),
      ttl,
    );
  }

  /**
   * Per digest, in one transaction: the entry goes and its generation moves together, so a load
   * that read the store before the revocation fails its conditional write whichever comes first.
   * On a cluster each digest is its own slot, so each gets its own transaction (all at once).
   */
  async remove(digests: readonly string[]): Promise<void> {
    const redis = this.#redis;
    const groups = this.#keys.cluster ? digests.map((d) => [d]) : [digests];
    const genTtl = this.#c.ttlMs + GENERATION_MARGIN_MS;
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

  /**
   * A fresh random epoch, in one key. Entries carry the epoch they were loaded under, and every
   * instance reads only its current epoch's, so nothing written before now is served again, on any
   * node, even one a failover brings back.
   */
  async newEpoch(): Promise<string> {
    const epoch = randomBytes(9).toString("base64url");
    const ttl = Math.max(EPOCH_TTL_MS, 2 * this.#c.ttlMs);
    await this.#redis.set(this.#keys.epoch, epoch, "PX", ttl);
    return epoch;
  }

  async readEpoch(): Promise<string> {
    return (await this.#redis.get(this.#keys.epoch)) ?? "";
  }

  /**
   * Deletes the orphaned entries after a new epoch, to give the memory back sooner than their TTL
   * (the epoch alone already makes them misses, so a failure here changes no answer). SCAN, not
   * KEYS: KEYS walks the whole keyspace in one command and blocks every other client of a Redis that
   * may hold millions of keys; SCAN does it in small steps. On a cluster, on every master.
   */
  async sweep(): Promise<void> {
    const redis = this.#redis;
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

  async close(): Promise<void> {
    await closeConnection(this.#redis);
  }
}
