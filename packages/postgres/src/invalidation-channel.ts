/**
 * The cache's invalidation channel over PostgreSQL LISTEN/NOTIFY, for deployments with PostgreSQL
 * and no Redis. It implements the core's `InvalidationTransport` port; `tieredCache`
 * (`@tokengate/cache`) attaches to it.
 */
import { randomUUID } from "node:crypto";
import {
  assertFirstAttach,
  type InvalidationMessage,
  type InvalidationSink,
  type InvalidationTransport,
} from "@tokengate/core";
import pg from "pg";

export interface PostgresInvalidationOptions {
  /** The LISTEN/NOTIFY channel. Default "tokengate_invalidate". */
  channel?: string;
  /** Longest wait between reconnection attempts of the listening connection. Default 5 000 ms. */
  maxReconnectDelayMs?: number;
}

/** NOTIFY payloads must stay under 8000 bytes; a digest is at most 128 hex characters. */
const DIGESTS_PER_NOTIFY = 50;

/**
 * Invalidation over PostgreSQL LISTEN/NOTIFY, for deployments with PostgreSQL and no Redis.
 * Publishing uses `pool`; listening uses a connection of its own built from the pool's settings,
 * so it never holds one of the pool's clients. When that connection drops, the cache is told
 * (it answers from the store and drops its LRU) and the connection is retried with backoff.
 *
 * `publish` resolves once PostgreSQL has committed the NOTIFY; delivery to the listeners follows
 * within their network round trip (PostgreSQL has no receiver count to wait on).
 *
 * @example
 * tieredCache({ invalidation: postgresInvalidation(pool) })
 */
export function postgresInvalidation(
  pool: pg.Pool,
  options: PostgresInvalidationOptions = {},
): InvalidationTransport {
  return new PostgresInvalidationChannel(pool, options);
}

class PostgresInvalidationChannel implements InvalidationTransport {
  readonly name = "postgres-notify";
  readonly #pool: pg.Pool;
  readonly #channel: string;
  readonly #maxDelay: number;
  readonly #origin = randomUUID();
  #sink: InvalidationSink | undefined;
  #client: pg.Client | undefined;
  #connected = false;
  #closed = false;
  #attempt = 0;
  #timer: NodeJS.Timeout | undefined;

  constructor(pool: pg.Pool, options: PostgresInvalidationOptions) {
    this.#pool = pool;
    this.#channel = options.channel ?? "tokengate_invalidate";
    this.#maxDelay = options.maxReconnectDelayMs ?? 5_000;
  }

  get connected(): boolean {
    return this.#connected;
  }

  attach(sink: InvalidationSink): void {
    assertFirstAttach("postgresInvalidation", this.#sink);
    this.#sink = sink;
    void this.#listen();
  }

  async #listen(): Promise<void> {
    if (this.#closed) return;
    const client = new pg.Client(this.#pool.options);
    this.#client = client;
    let failed = false;
    const fail = (cause: unknown) => {
      if (failed) return;
      failed = true;
      client.removeAllListeners("notification");
      client.end().catch(() => {});
      if (this.#connected) {
        this.#connected = false;
        this.#sink?.lost(cause);
      }
      this.#scheduleReconnect();
    };
    client.on("error", fail);
    client.on("end", () => fail(new Error("PostgreSQL listening connection ended")));
    client.on("notification", (n) => {
      if (n.channel === this.#channel && n.payload) this.#onPayload(n.payload);
    });
    try {
      await client.connect();
      await client.query(`LISTEN ${client.escapeIdentifier(this.#channel)}`);
    } catch (cause) {
      fail(cause);
      return;
    }
    if (this.#closed) {
      await client.end().catch(() => {});
      return;
    }
    this.#attempt = 0;
    this.#connected = true;
    this.#sink?.restored();
  }

  #scheduleReconnect(): void {
    if (this.#closed || this.#timer) return;
    const delay = Math.min(this.#maxDelay, 100 * 2 ** this.#attempt++);
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      void this.#listen();
    }, delay);
    this.#timer.unref();
  }

  #onPayload(payload: string): void {
    let parsed: { o?: unknown; k?: unknown; d?: unknown };
    try {
      parsed = JSON.parse(payload);
    } catch {
      return;
    }
    if (parsed.o === this.#origin) return;
    if (parsed.k === "all") this.#sink?.received({ kind: "all" });
    else if (parsed.k === "d" && Array.isArray(parsed.d) && parsed.d.every((x) => typeof x === "string")) {
      this.#sink?.received({ kind: "digests", digests: parsed.d });
    }
  }

  async publish(message: InvalidationMessage): Promise<void> {
    const payloads: string[] = [];
    if (message.kind === "all") payloads.push(JSON.stringify({ o: this.#origin, k: "all" }));
    else {
      for (let i = 0; i < message.digests.length; i += DIGESTS_PER_NOTIFY) {
        const d = message.digests.slice(i, i + DIGESTS_PER_NOTIFY);
        payloads.push(JSON.stringify({ o: this.#origin, k: "d", d }));
      }
    }
    for (const payload of payloads)
      await this.#pool.query("SELECT pg_notify($1, $2)", [this.#channel, payload]);
  }

  async close(): Promise<void> {
    this.#closed = true;
    this.#connected = false;
    clearTimeout(this.#timer);
    await this.#client?.end().catch(() => {});
  }
}
