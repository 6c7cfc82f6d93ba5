/**
 * The rate-limit response headers (draft-ietf-httpapi-ratelimit-headers `RateLimit-Policy` and
 * `RateLimit`, optionally GitHub's `X-RateLimit-*`) and `Retry-After`, from the limit states.
 */
import type { LimitState } from "./gcra";

/** A policy as the headers describe it: its name, quota and window in seconds. */
export interface HeaderPolicy {
  readonly name: string;
  readonly quota: number;
  readonly windowSeconds: number;
}

const seconds = (ms: number) => Math.ceil(ms / 1000);

/**
 * The `RateLimit-Policy` and `RateLimit` fields of draft-ietf-httpapi-ratelimit-headers-10
 * (Structured Field lists, one item per policy): `"minute";q=100;w=60` and `"minute";r=42;t=17`,
 * where `t` is the seconds until the policy's whole quota is back. With `legacy`, also the
 * `X-RateLimit-Limit/Remaining/Reset` trio for the policy closest to refusing, `Reset` in Unix
 * seconds as GitHub's API sends it.
 */
export function rateLimitHeaders(
  policies: readonly HeaderPolicy[],
  states: readonly LimitState[],
  nowMs: number,
  legacy: boolean,
): Record<string, string> {
  if (policies.length === 0) return {};
  const policy: string[] = [];
  const current: string[] = [];
  let tightest = 0;
  policies.forEach((p, i) => {
    const state = states[i]!;
    policy.push(`"${p.name}";q=${p.quota};w=${p.windowSeconds}`);
    current.push(`"${p.name}";r=${state.remaining};t=${seconds(state.resetMs)}`);
    const best = states[tightest]!;
    if (
      state.remaining < best.remaining ||
      (state.remaining === best.remaining && state.resetMs > best.resetMs)
    ) {
      tightest = i;
    }
  });
  const headers: Record<string, string> = {
    "ratelimit-policy": policy.join(", "),
    ratelimit: current.join(", "),
  };
  if (legacy) {
    const state = states[tightest]!;
    headers["x-ratelimit-limit"] = String(policies[tightest]!.quota);
    headers["x-ratelimit-remaining"] = String(state.remaining);
    headers["x-ratelimit-reset"] = String(seconds(nowMs + state.resetMs));
  }
  return headers;
}

/** Retry-After, in whole seconds, for a request refused by the limits waiting `waitMs`. */
export function retryAfterSeconds(states: readonly LimitState[]): number {
  let wait = 0;
  for (const s of states) if (s.waitMs > wait) wait = s.waitMs;
  return Math.max(1, seconds(wait));
}
