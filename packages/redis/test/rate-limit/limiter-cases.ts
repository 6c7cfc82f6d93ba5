/**
 * The limiter behaviour every `LimitStore` must show, written once and run against the in-memory
 * store and against real Redis. Time is injected: no case waits for a window to pass.
 */
import type { AuthIdentity } from "@tokengate/core";
import {
  FailedAuthLimiter,
  type LimitStore,
  TokenRateLimiter,
  type TokenRateLimiterOptions,
} from "../../src";

export const T0 = Date.parse("2025-03-10T12:00:00.000Z");
const at = (ms: number) => new Date(ms);

let nextId = 1_000;
/** A fresh token id per case, so cases sharing a store never share a counter. */
export function freshId(): number {
  return nextId++;
}

export function identity(tokenId: number, teamId: number | null = null): AuthIdentity {
  return {
    tokenId,
    tokenName: `token ${tokenId}`,
    userId: 1,
    teamId,
    scopes: [],
    expiresAt: null,
    user: { id: 1, disabled: false },
    team: teamId === null ? null : { id: teamId, ownerUserId: 1 },
  };
}

const minute = (limit: number) => ({ name: "minute", limit, windowSeconds: 60 });

/** `it`, or `it` where the store needs a running server. */
type Test = (name: string, fn: () => Promise<void>) => void;

export function limiterCases(makeStore: () => LimitStore, test: Test = it): void {
  let store: LimitStore;
  beforeEach(() => {
    store = makeStore();
  });
  const limiter = (options: Omit<TokenRateLimiterOptions, "store">) =>
    new TokenRateLimiter({ store, ...options });

  test("allows exactly the limit at one instant, then refuses with Retry-After until one request is back", async () => {
    const l = limiter({ token: [minute(5)] });
    const who = identity(freshId());
    const seen: string[] = [];
    for (let i = 0; i < 5; i++) {
      const d = await l.consume(who, at(T0));
      expect(d.allowed).toBe(true);
      expect(d.headers["ratelimit-policy"]).toBe('"minute";q=5;w=60');
      seen.push(d.headers.ratelimit!);
    }
    // Each request takes 60/5 = 12 s of the window; t is when the whole quota is back.
    expect(seen).toEqual([
      '"minute";r=4;t=12',
      '"minute";r=3;t=24',
      '"minute";r=2;t=36',
      '"minute";r=1;t=48',
      '"minute";r=0;t=60',
    ]);
    const refused = await l.consume(who, at(T0));
    expect(refused).toEqual({
      allowed: false,
      retryAfter: 12,
      headers: { "ratelimit-policy": '"minute";q=5;w=60', ratelimit: '"minute";r=0;t=60' },
    });
  });

  test("counts parallel requests exactly: no more pass than the limit", async () => {
    const l = limiter({ token: [minute(20)] });
    const who = identity(freshId());
    const decisions = await Promise.all(Array.from({ length: 60 }, () => l.consume(who, at(T0))));
    const allowed = decisions.filter((d) => d.allowed);
    expect(allowed).toHaveLength(20);
    const remaining = allowed
      .map((d) => Number(/r=(\d+)/.exec(d.headers.ratelimit!)![1]))
      .sort((a, b) => a - b);
    expect(remaining).toEqual(Array.from({ length: 20 }, (_, i) => i));
  });

  test("gives requests back on time by the injected clock, one per window/limit, all after a window", async () => {
    const l = limiter({ token: [{ name: "w30", limit: 3, windowSeconds: 30 }] });
    const who = identity(freshId());
    for (let i = 0; i < 3; i++) expect((await l.consume(who, at(T0))).allowed).toBe(true);
    const early = await l.consume(who, at(T0 + 9_999));
    expect(early.allowed).toBe(false);
    expect(early.retryAfter).toBe(1);
    const onTime = await l.consume(who, at(T0 + 10_000));
    expect(onTime.allowed).toBe(true);
    expect(onTime.headers.ratelimit).toBe('"w30";r=0;t=30');
    expect((await l.consume(who, at(T0 + 10_000))).allowed).toBe(false);
    const later = await l.consume(who, at(T0 + 40_000));
    expect(later.headers.ratelimit).toBe('"w30";r=2;t=10');
  });

  test("stays exact when window/limit is not a whole number of milliseconds", async () => {
    const l = limiter({ token: [minute(7)] });
    const who = identity(freshId());
    for (let round = 0; round < 3; round++) {
      const now = T0 + round * 60_000;
      const results = [];
      for (let i = 0; i < 8; i++) results.push((await l.consume(who, at(now))).allowed);
      expect(results).toEqual([true, true, true, true, true, true, true, false]);
    }
  });

  test("enforces several windows at once and answers Retry-After for the one that refuses", async () => {
    const l = limiter({ token: [minute(3), { name: "day", limit: 5, windowSeconds: 86_400 }] });
    const who = identity(freshId());
    for (let i = 0; i < 3; i++) expect((await l.consume(who, at(T0))).allowed).toBe(true);
    const byMinute = await l.consume(who, at(T0));
    expect(byMinute.retryAfter).toBe(20);
    expect(byMinute.headers["ratelimit-policy"]).toBe('"minute";q=3;w=60, "day";q=5;w=86400');
    expect((await l.consume(who, at(T0 + 60_000))).allowed).toBe(true);
    expect((await l.consume(who, at(T0 + 60_000))).allowed).toBe(true);
    const byDay = await l.consume(who, at(T0 + 60_000));
    expect(byDay.allowed).toBe(false);
    // The day's arrival time is 86340 s ahead; a 6th request needs it at most 86400 − 17280 s ahead.
    expect(byDay.retryAfter).toBe(17_220);
    expect(byDay.headers.ratelimit).toBe('"minute";r=1;t=40, "day";r=0;t=86340');
  });

  test("shares team windows among the team's tokens and keeps personal tokens out of them", async () => {
    const team = freshId();
    const l = limiter({
      token: [minute(10)],
      team: { windows: [{ name: "team-minute", limit: 3, windowSeconds: 60 }] },
    });
    const a = identity(freshId(), team);
    const b = identity(freshId(), team);
    expect((await l.consume(a, at(T0))).headers).toEqual({
      "ratelimit-policy": '"minute";q=10;w=60, "team-minute";q=3;w=60',
      ratelimit: '"minute";r=9;t=6, "team-minute";r=2;t=20',
    });
    expect((await l.consume(b, at(T0))).allowed).toBe(true);
    expect((await l.consume(a, at(T0))).allowed).toBe(true);
    const refused = await l.consume(b, at(T0));
    expect(refused.allowed).toBe(false);
    // Refused by the team: b's own window was not charged for it.
    expect(refused.headers.ratelimit).toBe('"minute";r=9;t=6, "team-minute";r=0;t=60');
    expect(refused.retryAfter).toBe(20);

    const personal = await l.consume(identity(freshId()), at(T0));
    expect(personal.headers["ratelimit-policy"]).toBe('"minute";q=10;w=60');
  });

  test("does not spend any limit on a refused request", async () => {
    const team = freshId();
    const l = limiter({
      token: [minute(2)],
      team: { windows: [{ name: "team-minute", limit: 100, windowSeconds: 60 }] },
    });
    const who = identity(freshId(), team);
    for (let i = 0; i < 2; i++) await l.consume(who, at(T0));
    for (let i = 0; i < 10; i++) expect((await l.consume(who, at(T0))).allowed).toBe(false);
    const next = await l.consume(who, at(T0 + 60_000));
    expect(next.headers.ratelimit).toBe('"minute";r=1;t=30, "team-minute";r=99;t=1');
  });

  test("applies per-token and per-team overrides over the defaults", async () => {
    const team = freshId();
    const special = freshId();
    const l = limiter({
      token: [minute(10)],
      tokens: { [special]: [minute(1)] },
      team: { monthlyQuota: 1000 },
      teams: { [team]: { monthlyQuota: null, windows: [{ name: "burst", limit: 50, windowSeconds: 1 }] } },
    });
    const d = await l.consume(identity(special, team), at(T0));
    expect(d.headers["ratelimit-policy"]).toBe('"minute";q=1;w=60, "burst";q=50;w=1');
    expect((await l.consume(identity(special, team), at(T0))).allowed).toBe(false);
    const other = await l.consume(identity(freshId(), freshId()), at(T0));
    expect(other.headers["ratelimit-policy"]).toBe('"minute";q=10;w=60, "month";q=1000;w=2678400');
  });

  test("counts the monthly team quota per UTC month and rolls it over at midnight UTC on the 1st", async () => {
    const team = freshId();
    const l = limiter({ team: { monthlyQuota: 3 } });
    const who = identity(freshId(), team);
    const lastSecond = Date.parse("2025-01-31T23:59:59.000Z");
    const first = await l.consume(who, at(lastSecond));
    expect(first.headers).toEqual({
      "ratelimit-policy": '"month";q=3;w=2678400',
      ratelimit: '"month";r=2;t=1',
    });
    await l.consume(who, at(lastSecond));
    await l.consume(who, at(lastSecond));
    const refused = await l.consume(who, at(lastSecond + 999));
    expect(refused).toMatchObject({ allowed: false, retryAfter: 1 });
    expect(refused.headers.ratelimit).toBe('"month";r=0;t=1');
    const february = await l.consume(who, at(Date.parse("2025-02-01T00:00:00.000Z")));
    expect(february.allowed).toBe(true);
    expect(february.headers).toEqual({
      "ratelimit-policy": '"month";q=3;w=2419200',
      ratelimit: '"month";r=2;t=2419200',
    });
  });

  test("sends the X-RateLimit trio, for the policy closest to refusing, only when asked", async () => {
    const l = limiter({
      token: [minute(10), { name: "day", limit: 1000, windowSeconds: 86_400 }],
      legacyHeaders: true,
    });
    const d = await l.consume(identity(freshId()), at(T0));
    expect(d.headers["x-ratelimit-limit"]).toBe("10");
    expect(d.headers["x-ratelimit-remaining"]).toBe("9");
    expect(d.headers["x-ratelimit-reset"]).toBe(String((T0 + 6_000) / 1000));
    const plain = await limiter({ token: [minute(10)] }).consume(identity(freshId()), at(T0));
    expect(Object.keys(plain.headers).sort()).toEqual(["ratelimit", "ratelimit-policy"]);
  });

  test("keeps usage per token: requests passed, requests refused, last use", async () => {
    const l = limiter({ token: [minute(3)] });
    const id = freshId();
    for (let i = 0; i < 3; i++) await l.consume(identity(id), at(T0 + i));
    await l.consume(identity(id), at(T0 + 10));
    await l.consume(identity(id), at(T0 + 11));
    const counts = await l.counts([id, freshId()]);
    expect([...counts.keys()]).toEqual([id]);
    expect(counts.get(id)).toEqual({ requests: 3, rateLimited: 2, lastUsedAt: at(T0 + 2) });
  });

  test("counts usage even for a token with no limits", async () => {
    const l = limiter({});
    const id = freshId();
    const d = await l.consume(identity(id), at(T0));
    expect(d).toEqual({ allowed: true, headers: {} });
    expect((await l.counts([id])).get(id)?.requests).toBe(1);
  });

  test("blocks an address after maxFailures failed attempts, and only that address, until one attempt refills", async () => {
    const failures = new FailedAuthLimiter({ store, maxFailures: 3, windowSeconds: 60 });
    const address = `198.51.100.${freshId() % 250}:${freshId()}`;
    for (let i = 0; i < 3; i++) {
      expect(await failures.blocked(address, at(T0))).toBeNull();
      await failures.recordFailure(address, at(T0));
    }
    expect(await failures.blocked(address, at(T0))).toBe(20);
    expect(await failures.blocked(address, at(T0))).toBe(20);
    expect(await failures.blocked(`${address}-other`, at(T0))).toBeNull();
    expect(await failures.blocked(address, at(T0 + 19_000))).toBe(1);
    expect(await failures.blocked(address, at(T0 + 20_000))).toBeNull();
  });
}
