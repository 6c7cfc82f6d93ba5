/**
 * Keeps requests flowing at app instances with one token and measures, per instance, when it stopped
 * accepting the token relative to the moment the revocation was answered. All times are this test
 * process's `performance.now()`, so request times and the revocation's answer share one clock.
 */
import { performance } from "node:perf_hooks";
import { type AppProcess, createToken, type HttpResult, revokeToken, send, USER_ID } from "./app-fleet";

/** One request as a loop saw it. `status` 0: the connection failed. */
export interface Exchange {
  readonly sentAt: number;
  readonly receivedAt: number;
  readonly status: number;
  /** Whether the answer carried the rate limiter's verdict (a `RateLimit` header). */
  readonly limited: boolean;
}

/** Loops hammering one instance with one token. */
export interface RequestLoops {
  /** Every exchange answered so far, in the order answered (live: it grows while the loops run). */
  readonly seen: readonly Exchange[];
  /** How many requests sent after `t` have been answered so far. */
  answeredSentAfter(t: number): number;
  /** Stops after the requests in flight finish; resolves with every exchange, in send order. */
  stop(): Promise<Exchange[]>;
}

/**
 * Starts `concurrency` sequential request loops at `GET /me` on `app` with `token`, each pausing
 * `pauseMs` between requests (0: as fast as the instance answers).
 */
export function startLoops(app: AppProcess, token: string, concurrency = 2, pauseMs = 0): RequestLoops {
  const exchanges: Exchange[] = [];
  let running = true;
  const headers = { authorization: `Bearer ${token}` };
  const loop = async () => {
    while (running) {
      const sentAt = performance.now();
      let status = 0;
      let limited = false;
      try {
        const res = await send(app.agent, app.port, "GET", "/me", headers);
        status = res.status;
        limited = typeof res.headers.ratelimit === "string";
      } catch {
        // Recorded as status 0; a refused connection is neither an acceptance nor a refusal.
      }
      exchanges.push({ sentAt, receivedAt: performance.now(), status, limited });
      if (pauseMs > 0) await new Promise((done) => setTimeout(done, pauseMs));
    }
  };
  const loops = Array.from({ length: concurrency }, loop);
  return {
    seen: exchanges,
    answeredSentAfter: (t) => exchanges.filter((e) => e.sentAt > t).length,
    async stop() {
      running = false;
      await Promise.all(loops);
      return [...exchanges].sort((a, b) => a.sentAt - b.sentAt);
    },
  };
}

/** What one instance did around one revocation, in ms relative to the revocation's answer (t0). */
export interface InstanceOutcome {
  /**
   * Propagation: when the first refused request after which nothing was accepted was sent, minus
   * t0, floored at 0. 0 means the instance already refused every request sent after the answer.
   */
  readonly propagationMs: number;
  /** The same moment minus t0, not floored: negative when the instance refused before the answer. */
  readonly cutoverAfterAnswerMs: number;
  /** The same moment relative to when the revocation request was sent (never floored). */
  readonly cutoverAfterDeleteSentMs: number;
  /** The latest send time of any accepted request, minus t0; null when none was accepted. */
  readonly lastAcceptedSentMs: number | null;
  /** Accepted requests sent after t0 + bound: must be none. */
  readonly acceptedAfterBound: number;
  /** Requests sent after t0 + bound, so the check above is not vacuous. */
  readonly sentAfterBound: number;
  readonly accepted: number;
  readonly statuses: ReadonlySet<number>;
}

/**
 * Judges one instance's exchanges. `deleteSentAt` and `t0` (when the revocation's answer arrived)
 * are on the same clock as the exchanges.
 */
export function outcomeOf(
  exchanges: readonly Exchange[],
  deleteSentAt: number,
  t0: number,
  boundMs: number,
): InstanceOutcome {
  let lastAccepted = -1;
  exchanges.forEach((e, i) => {
    if (e.status === 200) lastAccepted = i;
  });
  // The first request sent after the last acceptance; with none, the cutover is "now".
  const cutover = exchanges[lastAccepted + 1]?.sentAt ?? t0;
  const afterBound = exchanges.filter((e) => e.sentAt > t0 + boundMs);
  const lastAcceptedSentAt = lastAccepted >= 0 ? exchanges[lastAccepted]!.sentAt : null;
  return {
    propagationMs: Math.max(0, cutover - t0),
    cutoverAfterAnswerMs: cutover - t0,
    cutoverAfterDeleteSentMs: cutover - deleteSentAt,
    lastAcceptedSentMs: lastAcceptedSentAt === null ? null : lastAcceptedSentAt - t0,
    acceptedAfterBound: afterBound.filter((e) => e.status === 200).length,
    sentAfterBound: afterBound.length,
    accepted: exchanges.filter((e) => e.status === 200).length,
    statuses: new Set(exchanges.map((e) => e.status)),
  };
}

/** Nearest-rank percentile of `values` (0 < p <= 100). */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
}

/** One markdown table row: label, p50, p99, max, min, in ms with two decimals. */
export function distributionRow(label: string, values: readonly number[]): string {
  const ms = (v: number) => v.toFixed(2);
  const min = values.length === 0 ? Number.NaN : Math.min(...values);
  const max = values.length === 0 ? Number.NaN : Math.max(...values);
  return `| ${label} | ${values.length} | ${ms(percentile(values, 50))} | ${ms(percentile(values, 99))} | ${ms(max)} | ${ms(min)} |`;
}

export const DISTRIBUTION_HEADER = "| measure (ms) | n | p50 | p99 | max | min |\n|---|---|---|---|---|---|";

/**
 * Waits until every loop has `count` answered requests sent after `t`, polling every few ms, or
 * until `timeoutMs`: on a loaded machine a fixed pause can end before an instance answered any.
 */
export async function untilAnsweredAfter(
  loops: readonly RequestLoops[],
  t: number,
  count: number,
  timeoutMs: number,
): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (performance.now() < deadline && loops.some((l) => l.answeredSentAfter(t) < count)) {
    await new Promise((done) => setTimeout(done, 2));
  }
}

/** One revocation under load, as `revokeWhileLoaded` saw it: the times are `performance.now()`. */
export interface RevocationUnderLoad {
  /** The DELETE's answer, for the caller to judge. */
  readonly answer: HttpResult;
  readonly deleteSentAt: number;
  /** When the answer arrived. */
  readonly t0: number;
  /** Each instance's exchanges, in the order of `apps`. */
  readonly exchanges: Exchange[][];
}

export interface LoadedRevocationOptions {
  /** Requests each instance answers before the DELETE is sent: it is seen accepting. Default 5. */
  readonly before?: number;
  /** Requests each instance answers that were sent later than the answer plus `boundMs`. Default 5. */
  readonly after?: number;
  readonly boundMs?: number;
}

/**
 * Revokes `made` through `revoker` while loops (`startLoops`) run at every instance with its token:
 * they run until each instance answered `before` requests, then the DELETE, then until each
 * answered `after` requests sent later than the answer plus `boundMs`.
 */
export async function revokeWhileLoaded(
  apps: readonly AppProcess[],
  revoker: AppProcess,
  made: { readonly id: number; readonly token: string },
  { before = 5, after = 5, boundMs = 0 }: LoadedRevocationOptions = {},
): Promise<RevocationUnderLoad> {
  const loopsStartedAt = performance.now();
  const loops = apps.map((app) => startLoops(app, made.token));
  try {
    await untilAnsweredAfter(loops, loopsStartedAt, before, 3000);
    const deleteSentAt = performance.now();
    const answer = await revokeToken(revoker, made.id);
    const t0 = performance.now();
    await untilAnsweredAfter(loops, t0 + boundMs, after, 3000);
    return { answer, deleteSentAt, t0, exchanges: await Promise.all(loops.map((loop) => loop.stop())) };
  } finally {
    // Stopped already on success; on a failure, no loop outlives the revocation.
    await Promise.all(loops.map((loop) => loop.stop()));
  }
}

/**
 * Trial `trial` of the propagation test, on any fleet: a token created through the next instance,
 * warm in every tier of every instance (the first request fills Redis and the LRU, the second is
 * served from the LRU, which is where a stale entry would outlive the revocation), then revoked
 * through `apps[trial % n]` under load (`revokeWhileLoaded`).
 */
export async function revokeUnderLoad(
  apps: readonly AppProcess[],
  trial: number,
  options: LoadedRevocationOptions = {},
): Promise<RevocationUnderLoad & { readonly revoker: AppProcess }> {
  const revoker = apps[trial % apps.length]!;
  const made = await createToken(apps[(trial + 1) % apps.length]!, USER_ID, `trial ${trial}`);
  const bearer = { authorization: `Bearer ${made.token}` };
  for (const app of apps) {
    for (let i = 0; i < 2; i++)
      expect((await send(app.agent, app.port, "GET", "/me", bearer)).status).toBe(200);
  }
  return { revoker, ...(await revokeWhileLoaded(apps, revoker, made, options)) };
}
