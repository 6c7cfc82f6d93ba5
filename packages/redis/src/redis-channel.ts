/**
 * The cache's invalidation channel over Redis pub/sub, with acknowledgements (sharded pub/sub on a
 * Cluster, through `shard-subscriber.ts`), and the fail-fast options of the connections tokengate
 * opens from the application's client. It implements the core's `InvalidationTransport` port.
 */
import { randomUUID } from "node:crypto";
import {
  assertFirstAttach,
  type InvalidationMessage,
  type InvalidationSink,
  type InvalidationTransport,
  type Logger,
  silentLogger,
} from "@tokengate/core";
import type { Cluster, Redis, RedisOptions } from "ioredis";
import { closeConnection } from "./close-connection";
import { clientKeyPrefix, duplicateClient, isCluster, type RedisClient } from "./redis-client";
import { ShardSubscriber } from "./shard-subscriber";

/**
 * Options for the connections tokengate opens itself (duplicates of the application's client).
 * Commands must fail at once while Redis is away, not wait in a queue: a request that would wait
 * for Redis is better answered from the store.
 */
export function ownConnectionOptions(
  commandTimeoutMs: number,
  overrides: Partial<RedisOptions> = {},
): Partial<RedisOptions> {
  return {
    enableOfflineQueue: false,
    // A command in flight when the connection drops is failed, not retried on the next connection.
    maxRetriesPerRequest: 0,
    commandTimeout: commandTimeoutMs,
    // Our keys carry their own prefix; ioredis' keyPrefix would not apply to SCAN patterns.
    keyPrefix: "",
    // Inherited from a lazy application client, our connections would never open on their own.
    lazyConnect: false,
    ...overrides,
  };
}

/** The subscriber's options: it subscribes afresh on each connection, so it knows when that holds. */
export function subscriberConnectionOptions(commands: Partial<RedisOptions>): Partial<RedisOptions> {
  const { commandTimeout: _unused, ...rest } = commands;
  return { ...rest, autoResubscribe: false };
}

export interface RedisInvalidationChannelOptions {
  /**
   * Connection for PUBLISH (not in subscriber mode). A `Cluster` makes the channel sharded
   * (SPUBLISH / SSUBSCRIBE): it then opens its subscriber itself, on the slot's master.
   */
  commands: RedisClient;
  /** A connection of its own: SUBSCRIBE takes a connection over. Required unless `commands` is a Cluster. */
  subscriber?: Redis;
  /**
   * The channel. On a Cluster it is given a hash tag when it has none, so that the acknowledgement
   * channels share its slot.
   */
  channel: string;
  /** Options for the subscriber a sharded channel opens (on top of the cluster's node options). */
  subscriberOptions?: Partial<RedisOptions>;
  /** How long `publish` waits for every subscribed instance to confirm. Default 1000 ms. */
  ackTimeoutMs?: number;
  logger?: Logger;
}

interface PendingAck {
  received: number;
  expected: number | undefined;
  /** Ends the wait: `true` when every receiver confirmed, `false` when the transport closed first. */
  done: (confirmed: boolean) => void;
}

/**
 * Invalidation over Redis pub/sub, with acknowledgements: every subscribed instance (this one
 * included) answers each message on the sender's own ack channel once it has applied it, and
 * `publish` resolves when PUBLISH's receiver count has answered. So when `invalidate` resolves, every
 * instance that was listening has dropped the entry. An instance that does not answer within
 * `ackTimeoutMs` is logged and not waited for longer. Any other SUBSCRIBE client on the channel
 * (a `redis-cli` left open) counts as a receiver that never answers: it costs a timeout per message.
 *
 * On a Redis Cluster the channel is sharded (see `shard-subscriber.ts` for why): SPUBLISH's reply
 * counts every instance subscribed on the slot's master, which is where every instance subscribes.
 * An instance whose subscription is moving is not counted and not waited for: it has reported
 * `lost` to its cache, which serves nothing from memory until it listens again.
 */
export class RedisInvalidationChannel implements InvalidationTransport {
  readonly name = "redis-pubsub";
  readonly #commands: RedisClient;
  readonly #subscriber: Redis | undefined;
  readonly #sharded: ShardSubscriber | undefined;
  readonly #channel: string;
  readonly #ackChannel: string;
  readonly #origin = randomUUID();
  readonly #ackTimeoutMs: number;
  readonly #logger: Logger;
  readonly #pending = new Map<number, PendingAck>();
  #sink: InvalidationSink | undefined;
  #connected = false;
  #seq = 0;
  #closed = false;

  constructor(options: RedisInvalidationChannelOptions) {
    this.#commands = options.commands;
    const cluster = isCluster(options.commands) ? options.commands : undefined;
    this.#channel = cluster && !/\{[^}]+\}/.test(options.channel) ? `{${options.channel}}` : options.channel;
    this.#ackChannel = `${this.#channel}:ack:${this.#origin}`;
    if (cluster) {
      if (options.subscriber) void closeConnection(options.subscriber);
      this.#subscriber = undefined;
      this.#sharded = new ShardSubscriber(
        cluster,
        [this.#channel, this.#ackChannel],
        options.subscriberOptions ?? {},
        {
          ready: () => void this.#subscribed(),
          lost: (cause) => this.#lose(cause),
          message: (channel, payload) => this.#onMessage(channel, payload),
        },
      );
    } else {
      if (!options.subscriber) {
        throw new TypeError(
          "RedisInvalidationChannel: `subscriber` is required unless `commands` is a Cluster",
        );
      }
      this.#subscriber = options.subscriber;
      this.#sharded = undefined;
    }
    this.#ackTimeoutMs = options.ackTimeoutMs ?? 1000;
    this.#logger = options.logger ?? silentLogger;
  }

  get connected(): boolean {
    return this.#connected;
  }

  attach(sink: InvalidationSink): void {
    assertFirstAttach("RedisInvalidationChannel", this.#sink);
    this.#sink = sink;
    if (this.#sharded) {
      this.#sharded.start();
      return;
    }
    const sub = this.#subscriber!;
    sub.on("ready", () => void this.#subscribe());
    sub.on("close", () => this.#lose(new Error("Redis subscriber connection closed")));
    // Without a listener ioredis rethrows connection errors as unhandled; the close event reports.
    sub.on("error", () => {});
    sub.on("message", (channel: string, payload: string) => this.#onMessage(channel, payload));
    if (sub.status === "ready") void this.#subscribe();
  }

  async #subscribe(): Promise<void> {
    try {
      // Subscribed afresh on each connection (autoResubscribe is off) so we know when it holds.
      await this.#subscriber!.subscribe(this.#channel, this.#ackChannel);
    } catch (cause) {
      this.#lose(cause);
      return;
    }
    this.#subscribed();
  }

  #subscribed(): void {
    if (this.#connected || this.#closed) return;
    this.#connected = true;
    this.#sink?.restored();
  }

  #lose(cause: unknown): void {
    if (!this.#connected) return;
    this.#connected = false;
    this.#sink?.lost(cause);
  }

  #onMessage(channel: string, payload: string): void {
    if (channel === this.#ackChannel) {
      const pending = this.#pending.get(Number(payload));
      if (!pending) return;
      pending.received++;
      if (pending.expected !== undefined && pending.received >= pending.expected) pending.done(true);
      return;
    }
    if (channel !== this.#channel) return;
    let parsed: { o?: unknown; i?: unknown; k?: unknown; d?: unknown };
    try {
      parsed = JSON.parse(payload);
    } catch {
      return;
    }
    const { o, i, k, d, e } = parsed as typeof parsed & { e?: unknown };
    if (typeof o !== "string" || typeof i !== "number") return;
    // Our own messages were applied before they were sent; they are only acknowledged.
    if (o !== this.#origin) {
      if (k === "all")
        this.#sink?.received(typeof e === "string" ? { kind: "all", epoch: e } : { kind: "all" });
      else if (k === "d" && Array.isArray(d) && d.every((x) => typeof x === "string")) {
        this.#sink?.received({ kind: "digests", digests: d });
      } else return;
    }
    this.#send(`${this.#channel}:ack:${o}`, String(i)).catch(() => {
      // The sender times out and logs; there is nothing better to do from here.
    });
  }

  async publish(message: InvalidationMessage): Promise<void> {
    const id = ++this.#seq;
    const payload = JSON.stringify(
      message.kind === "all"
        ? { o: this.#origin, i: id, k: "all", ...(message.epoch === undefined ? {} : { e: message.epoch }) }
        : { o: this.#origin, i: id, k: "d", d: message.digests },
    );
    let timer: NodeJS.Timeout | undefined;
    const pending: PendingAck = { received: 0, expected: undefined, done: () => {} };
    const acknowledged = new Promise<boolean>((resolve) => {
      pending.done = resolve;
      timer = setTimeout(() => resolve(false), this.#ackTimeoutMs);
      timer.unref();
    });
    // Registered before PUBLISH so an answer that overtakes PUBLISH's own reply is still counted.
    this.#pending.set(id, pending);
    try {
      const receivers = await this.#send(this.#channel, payload);
      pending.expected = receivers;
      if (pending.received >= receivers) return;
      if (!(await acknowledged)) {
        this.#logger.warn("credential cache: some instances did not confirm an invalidation in time", {
          confirmed: pending.received,
          receivers,
          timeoutMs: this.#ackTimeoutMs,
        });
        // An instance that has not confirmed may still hold the credential (a GC pause, a frozen
        // process, a partition): resolving would let the revoker answer "revoked" while it is not.
        throw new Error(`${receivers - pending.received} of ${receivers} instances did not confirm in time`);
      }
    } finally {
      clearTimeout(timer);
      this.#pending.delete(id);
    }
  }

  /** PUBLISH, or SPUBLISH on a cluster; both answer how many subscribers received it. */
  #send(channel: string, payload: string): Promise<number> {
    return this.#sharded
      ? ((this.#commands as Cluster).spublish(channel, payload) as Promise<number>)
      : this.#commands.publish(channel, payload);
  }

  async close(): Promise<void> {
    this.#closed = true;
    this.#connected = false;
    // A publish still waiting is not confirmed by the shutdown: it rejects now rather than resolve.
    for (const pending of this.#pending.values()) pending.done(false);
    await Promise.all([
      this.#sharded ? this.#sharded.close() : closeConnection(this.#subscriber!),
      closeConnection(this.#commands),
    ]);
  }
}

/**
 * Redis pub/sub invalidation on connections of its own (duplicates of `redis`), for a cache with an
 * in-process tier but no Redis tier. `tieredCache({ redis })` builds one itself.
 */
export function redisInvalidation(
  redis: RedisClient,
  options: {
    channel?: string;
    ackTimeoutMs?: number;
    commandTimeoutMs?: number;
    redisOptions?: Partial<RedisOptions>;
    logger?: Logger;
  } = {},
): RedisInvalidationChannel {
  const connection = ownConnectionOptions(options.commandTimeoutMs ?? 250, options.redisOptions);
  const cluster = isCluster(redis);
  return new RedisInvalidationChannel({
    commands: duplicateClient(redis, connection),
    ...(cluster
      ? { subscriberOptions: subscriberConnectionOptions(connection) }
      : { subscriber: redis.duplicate(subscriberConnectionOptions(connection)) }),
    channel: options.channel ?? `${clientKeyPrefix(redis)}tokengate:invalidate`,
    ...(options.ackTimeoutMs === undefined ? {} : { ackTimeoutMs: options.ackTimeoutMs }),
    ...(options.logger === undefined ? {} : { logger: options.logger }),
  });
}
