import { createHash } from "node:crypto";
import {
  type ComponentHealth,
  consoleLogger,
  type Logger,
  OnceLog,
  TokenGateError,
  UP,
} from "@tokengate/core";
import type { Redis } from "ioredis";
import type { LimitState } from "./gcra";
import type { ApplyOptions, LimitCheck, LimitOutcome, LimitStore, TokenUsage } from "./limit-store";
import { MemoryLimitStore } from "./memory-store";

/**
 * Every limit of one request in one script, so the check and the count are atomic across
 * instances and cost one round trip. It mirrors `gcra.ts` step for step (see there for why the
 * arrival time is whole ms plus a remainder in 1/limit ms).
 *
 * KEYS: one per check, then the usage hash when ARGV[3] is "1".
 * ARGV: now (ms, from the caller's clock so tests can freeze it), dry run "1"/"0", usage "1"/"0",
 *       then per check: kind ("r" rate or "q" quota), limit, window ms (rate) or ms to period end (quota).
 * Reply: allowed (1/0), then per check: remaining, reset ms, wait ms.
 *
 * TTLs are relative (PEXPIRE, not PEXPIREAT): the caller's clock may be frozen or skewed against
 * Redis's, and an absolute expiry in Redis's past would delete the key at once.
 */
export const LIMIT_SCRIPT = `
local now = tonumber(ARGV[1])
local dry = ARGV[2] == '1'
local counted = ARGV[3] == '1'
local n = #KEYS
if counted then n = n - 1 end
local allowed = true
local kinds, limits, spans, current = {}, {}, {}, {}
for i = 1, n do
  local base = 3 + (i - 1) * 3
  kinds[i] = ARGV[base + 1]
  limits[i] = tonumber(ARGV[base + 2])
  spans[i] = tonumber(ARGV[base + 3])
  local stored = redis.call('GET', KEYS[i])
  if kinds[i] == 'r' then
    local ahead = 0
    if stored then
      local ms, frac = string.match(stored, '^(%-?%d+):(%d+)$')
      if ms then ahead = (tonumber(ms) - now) * limits[i] + tonumber(frac) end
    end
    if ahead < 0 then ahead = 0 end
    current[i] = ahead
    if ahead + spans[i] > spans[i] * limits[i] then allowed = false end
  else
    current[i] = tonumber(stored or '0')
    if current[i] + 1 > limits[i] then allowed = false end
  end
end
local reply = { allowed and 1 or 0 }
for i = 1, n do
  local limit, span, cur = limits[i], spans[i], current[i]
  local remaining, reset, wait
  if kinds[i] == 'r' then
    local capacity = span * limit
    local nxt = cur + span
    if allowed then
      remaining = math.floor((capacity - nxt) / span)
      reset = math.ceil(nxt / limit)
      wait = 0
      if not dry then
        local whole = math.floor(nxt / limit)
        local value = string.format('%.0f:%.0f', now + whole, nxt - whole * limit)
        redis.call('SET', KEYS[i], value, 'PX', reset + 1000)
      end
    else
      remaining = math.floor((capacity - cur) / span)
      reset = math.ceil(cur / limit)
      wait = 0
      if nxt > capacity then wait = math.ceil((nxt - capacity) / limit) end
    end
  else
    reset = span
    if allowed then
      remaining = limit - cur - 1
      wait = 0
      if not dry then
        redis.call('INCR', KEYS[i])
        redis.call('PEXPIRE', KEYS[i], span + 86400000)
      end
    else
      remaining = math.max(0, limit - cur)
      wait = 0
      if cur + 1 > limit then wait = span end
    end
  end
  reply[#reply + 1] = remaining
  reply[#reply + 1] = reset
  reply[#reply + 1] = wait
end
if counted and not dry then
  local usage = KEYS[#KEYS]
  if allowed then
    redis.call('HINCRBY', usage, 'requests', 1)
    redis.call('HSET', usage, 'last', string.format('%.0f', now))
  else
    redis.call('HINCRBY', usage, 'limited', 1)
  end
end
return reply
`;

const LIMIT_SCRIPT_SHA = createHash("sha1").update(LIMIT_SCRIPT).digest("hex");

/** What a deployment does when Redis fails while limiting. */
export type RedisErrorPolicy = "fail-closed" | "memory";

export interface RedisLimitStoreOptions {
  /** An ioredis client the application owns (and closes). */
  readonly redis: Redis;
  /** Prefix of every key. Default "tokengate:rl:". */
  readonly prefix?: string;
  /**
   * When Redis fails: "fail-closed" (the default) refuses authenticated requests with 503 and
   * `Retry-After`; "memory" limits in this process until Redis answers again, so each instance
   * enforces the limits on its own share of traffic. Never a silent pass.
   */
  readonly onRedisError?: RedisErrorPolicy;
  /** How long one limit check may wait on Redis before it counts as a failure. Default 500 ms. */
  readonly timeoutMs?: number;
  readonly logger?: Logger;
}

// A client in these states would queue the command until it reconnects: fail now instead.
const DOWN = new Set(["reconnecting", "close", "end"]);

/**
 * Limit state in Redis, shared by every instance: one EVALSHA per request for all its limits
 * (falling back to EVAL when the server has lost the script), with a documented policy for when
 * Redis fails.
 *
 * @example
 * const limits = new RedisLimitStore({ redis: new Redis(process.env.REDIS_URL), onRedisError: "fail-closed" });
 */
export class RedisLimitStore implements LimitStore {
  readonly name = "redis";
  readonly policy: RedisErrorPolicy;
  readonly #redis: Redis;
  readonly #prefix: string;
  readonly #timeoutMs: number;
  readonly #fallback: MemoryLimitStore | undefined;
  readonly #log: OnceLog;

  constructor(options: RedisLimitStoreOptions) {
    if (!options?.redis || typeof options.redis.evalsha !== "function") {
      throw new TypeError("RedisLimitStore: `redis` must be an ioredis client");
    }
    const policy = options.onRedisError ?? "fail-closed";
    if (policy !== "fail-closed" && policy !== "memory") {
      throw new TypeError('RedisLimitStore: onRedisError must be "fail-closed" or "memory"');
    }
    const timeoutMs = options.timeoutMs ?? 500;
    if (!(timeoutMs > 0)) throw new TypeError("RedisLimitStore: timeoutMs must be positive");
    this.policy = policy;
    this.#redis = options.redis;
    this.#prefix = options.prefix ?? "tokengate:rl:";
    this.#timeoutMs = timeoutMs;
    this.#fallback = policy === "memory" ? new MemoryLimitStore() : undefined;
    this.#log = new OnceLog(
      options.logger ?? consoleLogger,
      policy === "memory" ? "rate limits in Redis (limiting in memory meanwhile)" : "rate limits in Redis",
    );
  }

  /** True while Redis is failing and the store answers from its fallback (or refuses). */
  get degraded(): boolean {
    return this.#log.failing;
  }

  async apply(
    checks: readonly LimitCheck[],
    nowMs: number,
    options: ApplyOptions = {},
  ): Promise<LimitOutcome> {
    const keys = checks.map((c) => this.#prefix + c.key);
    const counted = options.usageTokenId !== undefined && !options.dryRun;
    if (counted) keys.push(this.#usageKey(options.usageTokenId!));
    const args: (string | number)[] = [nowMs, options.dryRun ? "1" : "0", counted ? "1" : "0"];
    for (const check of checks) {
      if (check.kind === "rate") args.push("r", check.limit, check.windowMs);
      else args.push("q", check.limit, check.periodEndsInMs);
    }

    let reply: number[];
    try {
      reply = await this.#bounded(this.#run(keys, args));
      this.#log.recover();
    } catch (cause) {
      this.#log.fail(cause);
      if (this.#fallback) return this.#fallback.apply(checks, nowMs, options);
      throw new TokenGateError("store_unavailable", {
        cause,
        retryAfter: 1,
        message: "Rate limits are temporarily unavailable",
      });
    }
    const states: LimitState[] = [];
    for (let i = 0; i < checks.length; i++) {
      states.push({ remaining: reply[1 + i * 3]!, resetMs: reply[2 + i * 3]!, waitMs: reply[3 + i * 3]! });
    }
    return { allowed: reply[0] === 1, states };
  }

  /** A PING within the store's timeout; while Redis is away, degraded or down as the policy says. */
  async health(): Promise<ComponentHealth> {
    try {
      if (DOWN.has(this.#redis.status)) throw new Error("closed");
      await this.#bounded(this.#redis.ping());
      return UP;
    } catch {
      return this.#fallback
        ? { status: "degraded", reason: "Redis cannot be reached: limiting in this instance's memory" }
        : { status: "down", reason: "Redis cannot be reached: authenticated requests are refused 503" };
    }
  }

  async usage(tokenIds: readonly number[]): Promise<Map<number, TokenUsage>> {
    const found = new Map<number, TokenUsage>();
    if (tokenIds.length === 0) return found;
    const pipeline = this.#redis.pipeline();
    for (const id of tokenIds) pipeline.hmget(this.#usageKey(id), "requests", "limited", "last");
    const results = (await this.#bounded(pipeline.exec())) ?? [];
    tokenIds.forEach((id, i) => {
      const [error, fields] = results[i] ?? [null, null];
      if (error) throw error;
      const [requests, limited, last] = (fields as (string | null)[] | null) ?? [];
      if (requests == null && limited == null) return;
      found.set(id, {
        requests: Number(requests ?? 0),
        rateLimited: Number(limited ?? 0),
        lastUsedAt: last == null ? null : new Date(Number(last)),
      });
    });
    return found;
  }

  #usageKey(tokenId: number): string {
    return `${this.#prefix}usage:${tokenId}`;
  }

  async #run(keys: readonly string[], args: readonly (string | number)[]): Promise<number[]> {
    if (DOWN.has(this.#redis.status)) throw new Error(`Redis connection is ${this.#redis.status}`);
    try {
      return (await this.#redis.evalsha(LIMIT_SCRIPT_SHA, keys.length, ...keys, ...args)) as number[];
    } catch (error) {
      // A restarted or flushed server has forgotten the script: EVAL sends it and caches it again.
      if (!(error instanceof Error) || !error.message.startsWith("NOSCRIPT")) throw error;
      return (await this.#redis.eval(LIMIT_SCRIPT, keys.length, ...keys, ...args)) as number[];
    }
  }

  #bounded<T>(work: Promise<T>): Promise<T> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new Error(`Redis did not answer within ${this.#timeoutMs} ms`)),
        this.#timeoutMs,
      );
    });
    return Promise.race([work, timeout]).finally(() => clearTimeout(timer));
  }
}
