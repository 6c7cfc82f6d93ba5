/**
 * Last-used times and usage counts: the ports that write and read them, and the batched recorder
 * that keeps their writes off the request path (the verifier touches, a timer flushes).
 */
import { describeCause, type Logger } from "../ports/logger";
import type { TokenStore } from "../ports/types";

/** Counts of one token's use, kept outside the store (by the rate limiter's store). */
export interface TokenUsageCounts {
  /** Requests that passed authentication and every limit. */
  readonly requests: number;
  /** Requests refused with 429. */
  readonly rateLimited?: number;
  readonly lastUsedAt?: Date | null;
}

/** Reads per-token usage for the admin list, e.g. `TokenRateLimiter` from `@tokengate/redis`. */
export interface UsageReader {
  counts(tokenIds: readonly number[]): Promise<ReadonlyMap<number, TokenUsageCounts>>;
}

/** Records that a token was used. Called on the request path, so it must not wait on I/O. */
export interface UsageRecorder {
  touch(tokenId: number, at: Date): void;
  /** Writes what is pending; called on a clean shutdown so the last batch is not lost. */
  flush(): Promise<void>;
  close(): Promise<void>;
}

/**
 * Batches last-used times in memory and writes them every `intervalMs` in one store call, off the
 * request path. Only the latest time per token is kept, so memory is bounded by live tokens.
 */
export class BatchedUsageRecorder implements UsageRecorder {
  #pending = new Map<number, Date>();
  #timer: NodeJS.Timeout | undefined;
  #flushing: Promise<void> = Promise.resolve();
  #closed = false;

  readonly #store: Pick<TokenStore, "touchLastUsed">;
  readonly #config: { intervalMs?: number; logger?: Logger };

  constructor(
    store: Pick<TokenStore, "touchLastUsed">,
    config: { intervalMs?: number; logger?: Logger } = {},
  ) {
    this.#store = store;
    this.#config = config;
  }

  touch(tokenId: number, at: Date): void {
    const previous = this.#pending.get(tokenId);
    if (previous === undefined || previous.getTime() < at.getTime()) this.#pending.set(tokenId, at);
    this.#arm();
  }

  #arm(): void {
    if (this.#timer) return;
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      void this.flush();
    }, this.#config.intervalMs ?? 5_000);
    this.#timer.unref();
  }

  flush(): Promise<void> {
    this.#flushing = this.#flushing.then(async () => {
      if (this.#pending.size === 0) return;
      const entries = [...this.#pending].map(([id, at]) => ({ id, at }));
      this.#pending.clear();
      try {
        await this.#store.touchLastUsed(entries);
      } catch (cause) {
        // Put them back: a later flush retries, and a newer time for the same token wins.
        for (const { id, at } of entries) {
          const newer = this.#pending.get(id);
          if (!newer || newer < at) this.#pending.set(id, at);
        }
        // Only a touch armed the timer, so on a server gone quiet the retry never came.
        if (!this.#closed) this.#arm();
        this.#config.logger?.warn("last-used times could not be written; will retry", {
          tokens: entries.length,
          cause: describeCause(cause),
        });
      }
    });
    return this.#flushing;
  }

  async close(): Promise<void> {
    this.#closed = true;
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = undefined;
    await this.flush();
  }
}
