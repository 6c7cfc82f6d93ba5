/**
 * The limit policies as options give them: windows (name, limit, seconds), a team's windows and
 * monthly quota, checked once when read; and the UTC calendar month the quota counts in.
 */
import { MAX_RATE_PRODUCT } from "./gcra";

/** One rate limit: `limit` requests per `windowSeconds` (GCRA, with a burst of `limit`). */
export interface RateLimitWindow {
  /** Names the policy in the `RateLimit-Policy` and `RateLimit` headers, e.g. "minute". */
  readonly name: string;
  readonly limit: number;
  readonly windowSeconds: number;
}

/** The limits of a team: windows every token of the team shares, and a monthly quota. */
export interface TeamLimits {
  readonly windows?: readonly RateLimitWindow[];
  /** Requests per UTC calendar month for the whole team; null or absent for none. */
  readonly monthlyQuota?: number | null;
}

/** The policy name the monthly quota carries in the headers. */
export const MONTHLY_POLICY = "month";

// An sf-string that is also safe inside a Redis key segment.
const POLICY_NAME = /^[A-Za-z0-9_.-]{1,32}$/;

/** Checks a list of windows once, when options are read. */
export function checkWindows(windows: readonly RateLimitWindow[], where: string): readonly RateLimitWindow[] {
  if (!Array.isArray(windows)) throw new TypeError(`${where} must be an array of windows`);
  const seen = new Set<string>();
  for (const w of windows) {
    if (!POLICY_NAME.test(w?.name ?? "")) {
      throw new TypeError(`${where}: a window name is 1-32 characters of A-Z a-z 0-9 _ . -`);
    }
    if (seen.has(w.name)) throw new TypeError(`${where}: window "${w.name}" is named twice`);
    seen.add(w.name);
    if (!Number.isSafeInteger(w.limit) || w.limit < 1) {
      throw new TypeError(`${where}: window "${w.name}" needs a whole limit of at least 1`);
    }
    if (!Number.isSafeInteger(w.windowSeconds) || w.windowSeconds < 1) {
      throw new TypeError(`${where}: window "${w.name}" needs whole windowSeconds of at least 1`);
    }
    if (w.limit * w.windowSeconds * 1000 > MAX_RATE_PRODUCT) {
      throw new TypeError(
        `${where}: window "${w.name}" is too large (limit × window in ms must stay below 2^52)`,
      );
    }
  }
  return windows;
}

export function checkQuota(quota: number | null | undefined, where: string): number | null {
  if (quota === undefined || quota === null) return null;
  if (!Number.isSafeInteger(quota) || quota < 1)
    throw new TypeError(`${where} must be a whole number of at least 1`);
  return quota;
}

/** The UTC calendar month holding `nowMs`: its label (for keys), its length and its end. */
export function utcMonth(nowMs: number): {
  readonly label: string;
  readonly startMs: number;
  readonly endMs: number;
} {
  const now = new Date(nowMs);
  const year = now.getUTCFullYear();
  const month = now.getUTCMonth();
  return {
    label: `${year}-${String(month + 1).padStart(2, "0")}`,
    startMs: Date.UTC(year, month, 1),
    endMs: Date.UTC(year, month + 1, 1),
  };
}
