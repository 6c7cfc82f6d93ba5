/**
 * The invalidation channel's subscription on a Redis Cluster: one SSUBSCRIBE connection of our own
 * to the master that owns the channel's slot (sharded pub/sub, Redis 7).
 *
 * Why sharded and why our own connection: classic PUBLISH on a cluster is broadcast to every node,
 * but its reply counts only the subscribers of the node that received it, so an acknowledged
 * invalidation cannot know how many answers to wait for. SPUBLISH is delivered within the slot's
 * shard, and every instance subscribes on that shard's master, so its reply counts every listening
 * instance. ioredis' cluster subscriber moves a subscription to another node without telling
 * anyone; a connection of our own lets the cache know the moment it stops hearing: when the master
 * dies (the connection closes), when it loses the slot (Redis sends an unsolicited SUNSUBSCRIBE,
 * which ioredis reports as an error), and when the cluster's slot table names another master.
 */
import type { Cluster, RedisOptions } from "ioredis";
import { Redis } from "ioredis";

export interface ShardSubscriberEvents {
  /** Subscribed on the slot's master: messages from now on are delivered. */
  ready(): void;
  /** No longer subscribed (reconnecting is under way). */
  lost(cause: unknown): void;
  message(channel: string, payload: string): void;
}

const RETRY_MIN_MS = 100;
const RETRY_MAX_MS = 1_000;
/** How often the cluster's slot table is compared with the node we listen on. */
const OWNER_CHECK_MS = 1_000;

export class ShardSubscriber {
  readonly #cluster: Cluster;
  readonly #channels: readonly string[];
  readonly #slot: number;
  readonly #options: Partial<RedisOptions>;
  readonly #events: ShardSubscriberEvents;
  #connection: Redis | undefined;
  #node: string | undefined;
  #up = false;
  #closed = false;
  #retries = 0;
  #retryTimer: NodeJS.Timeout | undefined;
  #ownerTimer: NodeJS.Timeout | undefined;

  constructor(
    cluster: Cluster,
    channels: readonly string[],
    options: Partial<RedisOptions>,
    events: ShardSubscriberEvents,
  ) {
    this.#cluster = cluster;
    this.#channels = channels;
    this.#slot = keySlot(channels[0]!);
    this.#options = options;
    this.#events = events;
  }

  get subscribed(): boolean {
    return this.#up;
  }

  start(): void {
    this.#ownerTimer = setInterval(() => this.#checkOwner(), OWNER_CHECK_MS);
    this.#ownerTimer.unref();
    void this.#connect(undefined);
  }

  /** The master the cluster client believes owns the slot, as host:port. */
  #owner(): string | undefined {
    return this.#cluster.slots[this.#slot]?.[0];
  }

  #checkOwner(): void {
    const owner = this.#owner();
    if (this.#up && owner && owner !== this.#node) {
      this.#drop(new Error("the invalidation channel's slot moved to another master"));
    }
  }

  async #connect(target: string | undefined): Promise<void> {
    if (this.#closed || this.#connection) return;
    const nodeKey = target ?? this.#owner() ?? firstNode(this.#cluster);
    if (!nodeKey) return this.#retry();
    const split = nodeKey.lastIndexOf(":");
    const connection = new Redis({
      ...this.#cluster.options.redisOptions,
      ...this.#options,
      host: nodeKey.slice(0, split),
      port: Number(nodeKey.slice(split + 1)),
      lazyConnect: true,
      // We reconnect ourselves, to whichever master owns the slot by then.
      retryStrategy: () => null,
      autoResubscribe: false,
      enableOfflineQueue: false,
      maxRetriesPerRequest: 0,
      keyPrefix: "",
    });
    this.#connection = connection;
    this.#node = nodeKey;
    // An unsolicited SUNSUBSCRIBE (the node lost the slot) arrives as a "queue state" error.
    connection.on("error", (cause: unknown) => this.#dropIf(connection, cause));
    connection.on("close", () => this.#dropIf(connection, new Error("invalidation subscriber closed")));
    connection.on("smessage", (channel: string, payload: string) => this.#events.message(channel, payload));
    try {
      await connection.connect();
      await connection.ssubscribe(...this.#channels);
    } catch (cause) {
      const moved = /^MOVED \d+ (\S+)/.exec(cause instanceof Error ? cause.message : "");
      if (this.#connection === connection) {
        this.#connection = undefined;
        connection.disconnect();
      }
      if (moved) return this.#connect(moved[1]);
      return this.#retry();
    }
    if (this.#connection !== connection || this.#closed) return;
    this.#retries = 0;
    this.#up = true;
    this.#events.ready();
  }

  #dropIf(connection: Redis, cause: unknown): void {
    if (this.#connection === connection) this.#drop(cause);
  }

  #drop(cause: unknown): void {
    const connection = this.#connection;
    this.#connection = undefined;
    this.#node = undefined;
    connection?.disconnect();
    if (this.#up) {
      this.#up = false;
      this.#events.lost(cause);
    }
    this.#retry();
  }

  #retry(): void {
    if (this.#closed || this.#retryTimer) return;
    const delay = Math.min(RETRY_MAX_MS, RETRY_MIN_MS * 2 ** this.#retries++);
    this.#retryTimer = setTimeout(() => {
      this.#retryTimer = undefined;
      void this.#connect(undefined);
    }, delay);
    this.#retryTimer.unref();
  }

  async close(): Promise<void> {
    this.#closed = true;
    this.#up = false;
    clearTimeout(this.#retryTimer);
    clearInterval(this.#ownerTimer);
    const connection = this.#connection;
    this.#connection = undefined;
    connection?.disconnect();
  }
}

/** Any node the cluster client knows, before it has a slot table (MOVED then leads to the owner). */
function firstNode(cluster: Cluster): string | undefined {
  const node = cluster.nodes("all")[0]?.options;
  return node ? `${node.host ?? "127.0.0.1"}:${node.port ?? 6379}` : undefined;
}

/** Redis Cluster's key slot: CRC16 (XMODEM) of the key's hash tag, modulo 16384. */
export function keySlot(key: string): number {
  let tagged = key;
  const open = key.indexOf("{");
  if (open !== -1) {
    const close = key.indexOf("}", open + 1);
    if (close > open + 1) tagged = key.slice(open + 1, close);
  }
  let crc = 0;
  for (const byte of Buffer.from(tagged)) {
    crc ^= byte << 8;
    for (let i = 0; i < 8; i++) crc = crc & 0x8000 ? ((crc << 1) ^ 0x1021) & 0xffff : (crc << 1) & 0xffff;
  }
  return crc % 16384;
}
