/**
 * `MemoryLimitStore`: limit state in this process, for one instance without Redis and as the
 * Redis store's fallback. The same GCRA arithmetic (`gcra.ts`) as the Redis script.
 */
import { type ArrivalTime, aheadUnits, arrivalAt, type LimitState, quotaVerdict, rateVerdict } from "./gcra";
import type { ApplyOptions, LimitCheck, LimitOutcome, LimitStore, TokenUsage } from "./limit-store";

interface Entry {
  tat: ArrivalTime | null;
  count: number;
  /** By the limiter's clock: after this the entry says nothing a fresh one would not. */
  expiresAtMs: number;
}

const SWEEP_EVERY = 1024;

/**
 * Limit state in this process: for a single instance without Redis, and the fallback that
 * `RedisLimitStore` degrades to under `onRedisError: "memory"`. Same arithmetic as the Redis
 * script, so both pass one suite. Expired entries are swept as requests arrive, so memory is
 * bounded by the keys active within their windows.
 */
export class MemoryLimitStore implements LimitStore {
  readonly name = "memory";
  readonly #entries = new Map<string, Entry>();
  readonly #usage = new Map<number, { requests: number; rateLimited: number; lastUsedMs: number | null }>();
  #sinceSweep = 0;

  async apply(
    checks: readonly LimitCheck[],
    nowMs: number,
    options: ApplyOptions = {},
  ): Promise<LimitOutcome> {
    this.#maybeSweep(nowMs);
    const after: LimitState[] = [];
    const before: LimitState[] = [];
    const nextAheads: number[] = [];
    let allowed = true;
    for (const check of checks) {
      const entry = this.#live(check.key, nowMs);
      const verdict =
        check.kind === "rate"
          ? rateVerdict(aheadUnits(entry?.tat ?? null, check.limit, nowMs), check.limit, check.windowMs)
          : { ...quotaVerdict(entry?.count ?? 0, check.limit, check.periodEndsInMs), nextAhead: 0 };
      if (!verdict.conforms) allowed = false;
      after.push(verdict.after);
      before.push(verdict.before);
      nextAheads.push(verdict.nextAhead);
    }
    const states = allowed ? after : before;
    if (options.dryRun) return { allowed, states };

    if (allowed) {
      checks.forEach((check, i) => {
        if (check.kind === "rate") {
          const ahead = nextAheads[i]!;
          this.#entries.set(check.key, {
            tat: arrivalAt(nowMs, ahead, check.limit),
            count: 0,
            expiresAtMs: nowMs + Math.ceil(ahead / check.limit),
          });
        } else {
          const entry = this.#live(check.key, nowMs);
          this.#entries.set(check.key, {
            tat: null,
            count: (entry?.count ?? 0) + 1,
            expiresAtMs: nowMs + check.periodEndsInMs,
          });
        }
      });
    }
    if (options.usageTokenId !== undefined) {
      const usage = this.#usage.get(options.usageTokenId) ?? {
        requests: 0,
        rateLimited: 0,
        lastUsedMs: null,
      };
      if (allowed) {
        usage.requests += 1;
        usage.lastUsedMs = nowMs;
      } else {
        usage.rateLimited += 1;
      }
      this.#usage.set(options.usageTokenId, usage);
    }
    return { allowed, states };
  }

  async usage(tokenIds: readonly number[]): Promise<Map<number, TokenUsage>> {
    const found = new Map<number, TokenUsage>();
    for (const id of tokenIds) {
      const usage = this.#usage.get(id);
      if (!usage) continue;
      found.set(id, {
        requests: usage.requests,
        rateLimited: usage.rateLimited,
        lastUsedAt: usage.lastUsedMs === null ? null : new Date(usage.lastUsedMs),
      });
    }
    return found;
  }

  #live(key: string, nowMs: number): Entry | undefined {
    const entry = this.#entries.get(key);
    return entry && entry.expiresAtMs > nowMs ? entry : undefined;
  }

  #maybeSweep(nowMs: number): void {
    if (++this.#sinceSweep < SWEEP_EVERY) return;
    this.#sinceSweep = 0;
    for (const [key, entry] of this.#entries) if (entry.expiresAtMs <= nowMs) this.#entries.delete(key);
  }
}
