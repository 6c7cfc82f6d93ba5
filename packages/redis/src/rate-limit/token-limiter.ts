/**
 * `TokenRateLimiter`: the gate's `rateLimiter` and `usageReader`. It turns a request's token and
 * team into limit checks (per-token windows, per-team windows and monthly quota), applies them in
 * one store call and answers with the `RateLimit` headers.
 */
import {
  type AuthIdentity,
  type ComponentHealth,
  type RateLimitDecision,
  type RateLimiter,
  UP,
} from "@tokengate/core";
import { type HeaderPolicy, rateLimitHeaders, retryAfterSeconds } from "./headers";
import type { LimitCheck, LimitStore, TokenUsage } from "./limit-store";
import {
  checkQuota,
  checkWindows,
  MONTHLY_POLICY,
  type RateLimitWindow,
  type TeamLimits,
  utcMonth,
} from "./policy";

export interface TokenRateLimiterOptions {
  /** Where counts live: `RedisLimitStore` for every instance, `MemoryLimitStore` for one. */
  readonly store: LimitStore;
  /** Windows every token gets unless `tokens` names it, e.g. 100 a minute and 5000 a day. */
  readonly token?: readonly RateLimitWindow[];
  /** What every team gets unless `teams` names it: shared windows and a monthly quota. */
  readonly team?: TeamLimits;
  /** Per-token windows by token id; they replace `token` for that token (`[]`: no token limit). */
  readonly tokens?: Readonly<Record<number, readonly RateLimitWindow[]>>;
  /** Per-team limits by team id; each field given replaces the default's. */
  readonly teams?: Readonly<Record<number, TeamLimits>>;
  /** Also send `X-RateLimit-Limit/Remaining/Reset` for clients that expect them. Default false. */
  readonly legacyHeaders?: boolean;
}

interface Plan {
  readonly checks: LimitCheck[];
  readonly policies: HeaderPolicy[];
}

/**
 * Counts each authenticated request against its token's windows, its team's windows and its
 * team's monthly quota, all in one store call. A refused request spends nothing. Also reads the
 * per-token usage the store keeps, for the admin list (`usageReader`).
 *
 * @example
 * const limiter = new TokenRateLimiter({
 *   store: new RedisLimitStore({ redis }),
 *   token: [{ name: "minute", limit: 100, windowSeconds: 60 }, { name: "day", limit: 5000, windowSeconds: 86400 }],
 *   team: { monthlyQuota: 1_000_000 },
 * });
 * const gate = createTokenGate({ store, directory, rateLimiter: limiter, usageReader: limiter });
 */
export class TokenRateLimiter implements RateLimiter {
  readonly #store: LimitStore;
  readonly #token: readonly RateLimitWindow[];
  readonly #teamWindows: readonly RateLimitWindow[];
  readonly #teamQuota: number | null;
  readonly #tokens: ReadonlyMap<number, readonly RateLimitWindow[]>;
  readonly #teams: ReadonlyMap<number, TeamLimits>;
  readonly #legacy: boolean;

  constructor(options: TokenRateLimiterOptions) {
    if (!options?.store || typeof options.store.apply !== "function") {
      throw new TypeError("TokenRateLimiter: `store` must be a LimitStore");
    }
    this.#store = options.store;
    this.#token = checkWindows(options.token ?? [], "token");
    this.#teamWindows = checkWindows(options.team?.windows ?? [], "team.windows");
    this.#teamQuota = checkQuota(options.team?.monthlyQuota, "team.monthlyQuota");
    this.#tokens = new Map(
      Object.entries(options.tokens ?? {}).map(([id, w]) => [Number(id), checkWindows(w, `tokens[${id}]`)]),
    );
    this.#teams = new Map(
      Object.entries(options.teams ?? {}).map(([id, t]) => {
        if (t.windows) checkWindows(t.windows, `teams[${id}].windows`);
        checkQuota(t.monthlyQuota, `teams[${id}].monthlyQuota`);
        return [Number(id), t];
      }),
    );
    this.#legacy = options.legacyHeaders ?? false;

    // Token and team windows share one header namespace, so their names must not collide.
    const tokenNames = new Set([...this.#token, ...[...this.#tokens.values()].flat()].map((w) => w.name));
    const teamNames = [
      ...this.#teamWindows,
      ...[...this.#teams.values()].flatMap((t) => t.windows ?? []),
    ].map((w) => w.name);
    for (const name of [...tokenNames, ...teamNames]) {
      if (name === MONTHLY_POLICY)
        throw new TypeError(`window name "${MONTHLY_POLICY}" is the monthly quota's`);
    }
    for (const name of teamNames) {
      if (tokenNames.has(name)) {
        throw new TypeError(
          `window name "${name}" is used by a token window and a team window; name them apart`,
        );
      }
    }
  }

  /** Its counter store's health (`gate.health()`); a store that cannot say is taken as up. */
  async health(): Promise<ComponentHealth> {
    return (await this.#store.health?.()) ?? UP;
  }

  async consume(identity: AuthIdentity, now: Date): Promise<RateLimitDecision> {
    const nowMs = now.getTime();
    const { checks, policies } = this.#plan(identity, nowMs);
    const outcome = await this.#store.apply(checks, nowMs, { usageTokenId: identity.tokenId });
    const headers = rateLimitHeaders(policies, outcome.states, nowMs, this.#legacy);
    if (outcome.allowed) return { allowed: true, headers };
    return { allowed: false, headers, retryAfter: retryAfterSeconds(outcome.states) };
  }

  /** Requests, refusals and last use per token id, for the admin list. */
  counts(tokenIds: readonly number[]): Promise<Map<number, TokenUsage>> {
    return this.#store.usage(tokenIds);
  }

  /**
   * Each check names its group: the token (`t<id>`, which the store's usage hash shares) or the team
   * (`team<id>`), so on a Redis Cluster each one's limits live in one slot and the load spreads over
   * every master.
   */
  #plan(identity: AuthIdentity, nowMs: number): Plan {
    const checks: LimitCheck[] = [];
    const policies: HeaderPolicy[] = [];
    const add = (group: string, key: string, w: RateLimitWindow) => {
      checks.push({ kind: "rate", group, key, limit: w.limit, windowMs: w.windowSeconds * 1000 });
      policies.push({ name: w.name, quota: w.limit, windowSeconds: w.windowSeconds });
    };
    for (const w of this.#tokens.get(identity.tokenId) ?? this.#token)
      add(`t${identity.tokenId}`, `token:${identity.tokenId}:${w.name}`, w);

    const teamId = identity.teamId;
    if (teamId !== null) {
      const own = this.#teams.get(teamId);
      for (const w of own?.windows ?? this.#teamWindows) add(`team${teamId}`, `team:${teamId}:${w.name}`, w);
      const quota = own?.monthlyQuota !== undefined ? own.monthlyQuota : this.#teamQuota;
      if (quota !== null) {
        const month = utcMonth(nowMs);
        checks.push({
          kind: "quota",
          group: `team${teamId}`,
          key: `team:${teamId}:${MONTHLY_POLICY}:${month.label}`,
          limit: quota,
          periodEndsInMs: month.endMs - nowMs,
        });
        policies.push({
          name: MONTHLY_POLICY,
          quota,
          windowSeconds: Math.round((month.endMs - month.startMs) / 1000),
        });
      }
    }
    return { checks, policies };
  }
}
