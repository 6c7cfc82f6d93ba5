/**
 * `RedisLimitStore`: limit state in Redis, one Lua script per request (a mirror of `gcra.ts`), with
 * the Cluster slot handling and the outage policy (`onRedisError`). Over 300 lines because the
 * script, the slot grouping and the fallback are one contract: split, each part would have to
 * restate the others' invariants.
 */
import { createHash } from "node:crypto";
import {
  type ComponentHealth,
  consoleLogger,
  type Logger,
  OnceLog,
  TokenGateError,
  UP,
} from "@tokengate/core";
import { hashTagOf, isCluster, type RedisClient } from "../redis-client";
import type { LimitState } from "./gcra";
import type { ApplyOptions, LimitCheck, LimitOutcome, LimitStore, TokenUsage } from "./limit-store";
import { MemoryLimitStore } from "./memory-store";

/**
 * Every limit of one request in one script, so the check and the count are atomic across
 * instances and cost one round trip. It mirrors `gcra.ts` step for step (see there for why the
 * arrival time is whole ms plus a remainder in 1/limit ms).
 *
 * KEYS: one per check, then the usage hash when ARGV[3] is not "0". On a Redis Cluster they share
 * one slot (see `RedisLimitStore` for requests whose checks span two).
 * ARGV: now (ms, from the caller's clock so tests can freeze it), mode ("0" count, "1" dry run,
 *       "R": refused by a check in another slot, so count nothing and record the refusal, or "U":
 *       give back what "0" counted at the same `now`, because a check in another slot refused), the usage
 *       hash's lifetime in ms ("0": no usage), then per check: kind ("r" rate or "q" quota), limit,
 *       window ms (rate) or ms to period end (quota).
 * Reply: allowed (1/0), then per check: remaining, reset ms, wait ms.
 *
 * TTLs are relative (PEXPIRE, not PEXPIREAT): the caller's clock may be frozen or skewed against
 * Redis's, and an absolute expiry in Redis's past would delete the key at once.
 */
export const LIMIT_SCRIPT = `
local now = tonumber(ARGV[1])
local refused = ARGV[2] == 'R'
if ARGV[2] == 'U' then
  local n = #KEYS
  if ARGV[3] ~= '0' then n = n - 1 end
  for i = 1, n do
    local base = 3 + (i - 1) * 3
    local limit, span = tonumber(ARGV[base + 2]), tonumber(ARGV[base + 3])
    local stored = redis.call('GET', KEYS[i])
    if ARGV[base + 1] == 'r' then
      local ms, frac = string.match(stored or '', '^(%-?%d+):(%d+)$')
      if ms then
        local ahead = (tonumber(ms) - now) * limit + tonumber(frac) - span
        if ahead <= 0 then
          redis.call('DEL', KEYS[i])
        else
          local whole = math.floor(ahead / limit)
          redis.call('SET', KEYS[i], string.format('%.0f:%.0f', now + whole, ahead - whole * limit), 'KEEPTTL')
        end
      end
    elseif tonumber(stored or '0') > 0 then
      redis.call('DECR', KEYS[i])
    end
  end
  if ARGV[3] ~= '0' then
    redis.call('HINCRBY', KEYS[#KEYS], 'requests', -1)
    redis.call('HINCRBY', KEYS[#KEYS], 'limited', 1)
  end
  return { 1 }
end
local dry = ARGV[2] == '1' or refused
local counted = ARGV[3] ~= '0'
local n = #KEYS
if counted then n = n - 1 end
local allowed = not refused
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
if counted and (refused or not dry) then
  local usage = KEYS[#KEYS]
  if allowed then
    redis.call('HINCRBY', usage, 'requests', 1)
    redis.call('HSET', usage, 'last', string.format('%.0f', now))
  else
    redis.call('HINCRBY', usage, 'limited', 1)
  end
  redis.call('PEXPIRE', usage, ARGV[3])
end
return reply
`;

const LIMIT_SCRIPT_SHA = createHash("sha1").update(LIMIT_SCRIPT).digest("hex");

/** What a deployment does when Redis fails while limiting. */
export type RedisErrorPolicy = "fail-closed" | "memory";

export interface RedisLimitStoreOptions {
  /**
   * An ioredis client the application owns (and closes): one server, a Sentinel-managed client or a
   * `Cluster`.
   */
  readonly redis: RedisClient;
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
  /**
   * How long a token's usage counts are kept after its last request. Default 90 days; the admin
   * list then shows no usage for it.
   */
  readonly usageTtlMs?: number;
  readonly logger?: Logger;
}

/** The checks of one request that share a slot, and the keys and arguments of their script. */
interface SlotGroup {
  readonly indexes: number[];
  readonly keys: string[];
  readonly args: (string | number)[];
  /** The usage hash, counted with this group's checks. */
  usageKey: string | undefined;
}

/** The scripts' replies, one per group, back in the order of the checks. */
function decode(count: number, groups: readonly SlotGroup[], replies: readonly number[][]): LimitOutcome {
  const states: LimitState[] = new Array(count);
  let allowed = true;
  groups.forEach((group, g) => {
    const reply = replies[g]!;
    if (reply[0] !== 1) allowed = false;
    group.indexes.forEach((index, i) => {
      states[index] = { remaining: reply[1 + i * 3]!, resetMs: reply[2 + i * 3]!, waitMs: reply[3 + i * 3]! };
    });
  });
  return { allowed, states };
}

// A client in these states would queue the command until it reconnects: fail now instead.
const DOWN = new Set(["reconnecting", "close", "end"]);

/**
 * Limit state in Redis, shared by every instance: one EVALSHA per request for all its limits
 * (falling back to EVAL when the server has lost the script), with a documented policy for when
 * Redis fails.
 *
 * On a Redis Cluster a script's keys must share a slot, so each key carries its check's `group` as
 * a hash tag: `TokenRateLimiter` groups per token (`{t<id>}`: the token's windows and usage) and per
 * team (`{team<id>}`: the team's windows and monthly quota). A request whose checks span both is decided in steps, each atomic on its own: the
 * team's checks are looked at without counting; if they allow, the token's checks are counted (or
 * refused) in one script; then the team's are counted. No limit ever admits more than its limit.
 * When two requests race for a team's last unit, the loser is refused and what its token's step
 * counted is given back (a GCRA step is additive, so the give-back is exact however requests
 * interleave); between the two steps another request of that token may see one unit fewer. On a
 * single server (or Sentinel) everything stays one script.
 *
 * @example
 * const limits = new RedisLimitStore({ redis: new Redis(process.env.REDIS_URL), onRedisError: "fail-closed" });
 */
export class RedisLimitStore implements LimitStore {
  readonly name = "redis";
  readonly policy: RedisErrorPolicy;
  readonly #redis: RedisClient;
  readonly #prefix: string;
  readonly #usageTtlMs: number;
  readonly #cluster: boolean;
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
    const usageTtlMs = options.usageTtlMs ?? 90 * 24 * 3600 * 1000;
    if (!Number.isSafeInteger(usageTtlMs) || usageTtlMs < 1000) {
      throw new TypeError("RedisLimitStore: usageTtlMs must be a whole number of ms, at least 1000");
    }
    this.#usageTtlMs = usageTtlMs;
    this.#cluster = isCluster(options.redis);
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
    const counted = options.usageTokenId !== undefined && !options.dryRun;
    const groups = this.#groups(checks, counted ? this.#usageKey(options.usageTokenId!) : undefined);
    const mode = options.dryRun ? "1" : "0";

    let outcome: LimitOutcome;
    try {
      outcome =
        groups.length === 1
          ? decode(checks.length, groups, [await this.#bounded(this.#run(groups[0]!, nowMs, mode))])
          : await this.#bounded(this.#applyInSteps(checks.length, groups, nowMs, mode));
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
    return outcome;
  }

  /**
   * The checks grouped by slot, the group holding the usage hash (the token's) first. Off a cluster,
   * one group whatever the keys.
   */
  #groups(checks: readonly LimitCheck[], usageKey: string | undefined): SlotGroup[] {
    const cluster = this.#cluster;
    const bySlot = new Map<string, SlotGroup>();
    const groupOf = (key: string) => {
      const tag = cluster ? hashTagOf(key) : "";
      let group = bySlot.get(tag);
      if (!group) {
        group = { indexes: [], keys: [], args: [], usageKey: undefined };
        bySlot.set(tag, group);
      }
      return group;
    };
    const usageGroup = usageKey === undefined ? undefined : groupOf(usageKey);
    checks.forEach((check, i) => {
      const key = this.#key(check.group, check.key);
      const group = groupOf(key);
      group.indexes.push(i);
      group.keys.push(key);
      if (check.kind === "rate") group.args.push("r", check.limit, check.windowMs);
      else group.args.push("q", check.limit, check.periodEndsInMs);
    });
    if (usageGroup) usageGroup.usageKey = usageKey;
    const groups = [...bySlot.values()];
    if (groups.length === 0) groups.push({ indexes: [], keys: [], args: [], usageKey: undefined });
    return groups;
  }

  /** A request whose checks live in several slots: see the class comment for the steps. */
  async #applyInSteps(
    count: number,
    groups: readonly SlotGroup[],
    nowMs: number,
    mode: "0" | "1",
  ): Promise<LimitOutcome> {
    const [first, ...rest] = groups as [SlotGroup, ...SlotGroup[]];
    const looked = await Promise.all(rest.map((g) => this.#run(g, nowMs, "1")));
    if (mode === "1") return decode(count, groups, [await this.#run(first, nowMs, "1"), ...looked]);
    if (looked.some((reply) => reply[0] !== 1)) {
      return decode(count, groups, [await this.#run(first, nowMs, "R"), ...looked]);
    }
    const counted = await this.#run(first, nowMs, "0");
    if (counted[0] !== 1) return decode(count, groups, [counted, ...looked]);
    const finals = await Promise.all(rest.map((g) => this.#run(g, nowMs, "0")));
    if (finals.some((reply) => reply[0] !== 1)) {
      // Another request took the last unit in between: give back what this refused one counted.
      await Promise.all([
        this.#run(first, nowMs, "U"),
        ...rest.map((g, i) => (finals[i]![0] === 1 ? this.#run(g, nowMs, "U") : undefined)),
      ]);
    }
    return decode(count, groups, [counted, ...finals]);
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
    const read = async (): Promise<[Error | null, unknown][]> => {
      const fields = ["requests", "limited", "last"] as const;
      // A cluster pipeline must stay in one slot, and each token's usage is in its own.
      if (this.#cluster) {
        return Promise.all(
          tokenIds.map((id) =>
            this.#redis.hmget(this.#usageKey(id), ...fields).then(
              (value): [Error | null, unknown] => [null, value],
              (error: Error): [Error | null, unknown] => [error, null],
            ),
          ),
        );
      }
      const pipeline = this.#redis.pipeline();
      for (const id of tokenIds) pipeline.hmget(this.#usageKey(id), ...fields);
      return (await pipeline.exec()) ?? [];
    };
    const results = await this.#bounded(read());
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

  /**
   * A check's key in Redis. On a cluster its group is the hash tag, so a group's keys share a slot;
   * elsewhere the names stay as they always were.
   */
  #key(group: string | undefined, key: string): string {
    return this.#cluster && group !== undefined ? `${this.#prefix}{${group}}:${key}` : this.#prefix + key;
  }

  /** In the token's group (`t<id>`, as `TokenRateLimiter` names it): counted with its windows. */
  #usageKey(tokenId: number): string {
    return this.#key(`t${tokenId}`, `usage:${tokenId}`);
  }

  async #run(group: SlotGroup, nowMs: number, mode: "0" | "1" | "R" | "U"): Promise<number[]> {
    if (DOWN.has(this.#redis.status)) throw new Error(`Redis connection is ${this.#redis.status}`);
    const keys = group.usageKey === undefined ? group.keys : [...group.keys, group.usageKey];
    const args = [nowMs, mode, group.usageKey === undefined ? "0" : this.#usageTtlMs, ...group.args];
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
