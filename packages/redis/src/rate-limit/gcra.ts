/**
 * The limit arithmetic, exact and integer-only, shared by the in-memory store and (line for line)
 * by the Lua script in `redis-store.ts`.
 *
 * A rate limit of `limit` requests per `windowMs` is GCRA with a burst of `limit`: each request
 * moves a theoretical arrival time (TAT) forward by `windowMs / limit`, and a request conforms
 * while the TAT stays within `windowMs` of now. `windowMs / limit` is rarely a whole number of
 * milliseconds, and floating-point steps drift, so the TAT is kept as whole milliseconds plus a
 * remainder counted in 1/limit ms. Every comparison then works on integers below 2^52, which a
 * double (and Redis's Lua) holds exactly.
 */

/** A theoretical arrival time: `ms + frac / limit` milliseconds since the epoch. */
export interface ArrivalTime {
  readonly ms: number;
  readonly frac: number;
}

/** What one limit says about one request. */
export interface LimitState {
  /** Requests left after this one (when allowed), or before it (when refused). */
  readonly remaining: number;
  /** Milliseconds until the whole quota is available again. */
  readonly resetMs: number;
  /** Milliseconds until this request would conform; 0 when it does now. */
  readonly waitMs: number;
}

/** The largest `limit × windowMs` the integer arithmetic holds exactly. */
export const MAX_RATE_PRODUCT = 2 ** 52;

/**
 * How far the TAT lies ahead of `now`, in 1/limit ms; 0 when it lies in the past (the quota is
 * whole again).
 */
export function aheadUnits(tat: ArrivalTime | null, limit: number, nowMs: number): number {
  if (!tat) return 0;
  const ahead = (tat.ms - nowMs) * limit + tat.frac;
  return Math.max(ahead, 0);
}

/**
 * The GCRA verdict for one more request, from how far the TAT lies ahead of now: whether it
 * conforms, the state if it is counted (`after`) and the state if it is not (`before`: the whole
 * request was refused, by this limit or another, and spends nothing).
 */
export function rateVerdict(
  ahead: number,
  limit: number,
  windowMs: number,
): {
  readonly conforms: boolean;
  readonly nextAhead: number;
  readonly after: LimitState;
  readonly before: LimitState;
} {
  const capacity = windowMs * limit;
  const next = ahead + windowMs;
  const conforms = next <= capacity;
  return {
    conforms,
    nextAhead: next,
    after: {
      remaining: Math.floor((capacity - next) / windowMs),
      resetMs: Math.ceil(next / limit),
      waitMs: 0,
    },
    before: {
      remaining: Math.floor((capacity - ahead) / windowMs),
      resetMs: Math.ceil(ahead / limit),
      waitMs: conforms ? 0 : Math.ceil((next - capacity) / limit),
    },
  };
}

/** The TAT `ahead` units after `now`, split back into whole ms and remainder. */
export function arrivalAt(nowMs: number, ahead: number, limit: number): ArrivalTime {
  const whole = Math.floor(ahead / limit);
  return { ms: nowMs + whole, frac: ahead - whole * limit };
}

/** The verdict of a fixed-period counter (the monthly quota) holding `used` requests. */
export function quotaVerdict(
  used: number,
  limit: number,
  periodEndsInMs: number,
): { readonly conforms: boolean; readonly after: LimitState; readonly before: LimitState } {
  const conforms = used + 1 <= limit;
  return {
    conforms,
    after: { remaining: limit - used - 1, resetMs: periodEndsInMs, waitMs: 0 },
    before: {
      remaining: Math.max(0, limit - used),
      resetMs: periodEndsInMs,
      waitMs: conforms ? 0 : periodEndsInMs,
    },
  };
}
