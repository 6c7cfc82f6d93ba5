/**
 * The `LimitStore` port: where limit state and per-token usage live. One all-or-nothing `apply` per
 * request; implemented in memory (`memory-store.ts`) and in Redis (`redis-store.ts`), both run by
 * one suite (test/rate-limit/limiter-cases.ts).
 */
import type { ComponentHealth } from "@tokengate/core";
import type { LimitState } from "./gcra";

/**
 * One limit to check for a request. Keys are logical; each store adds its own prefix. `group` names
 * what the limit belongs to (`t<tokenId>`, `team<teamId>`, an address): on a Redis Cluster the keys
 * of one group share a slot, so one script can check and count them together.
 */
export type LimitCheck = { readonly group?: string } & (
  | {
      /** GCRA: `limit` requests per `windowMs`, with a burst of `limit`. */
      readonly kind: "rate";
      readonly key: string;
      readonly limit: number;
      readonly windowMs: number;
    }
  | {
      /** A counter that lives until the end of its period (the monthly quota). */
      readonly kind: "quota";
      readonly key: string;
      readonly limit: number;
      readonly periodEndsInMs: number;
    }
);

/** The verdict on a whole request: allowed only when every limit allows it. */
export interface LimitOutcome {
  readonly allowed: boolean;
  /** One state per check, in the order of the checks. */
  readonly states: readonly LimitState[];
}

export interface ApplyOptions {
  /** Only look: nothing is counted (the failure limiter asks "is this address blocked?"). */
  readonly dryRun?: boolean;
  /** Count the request in this token's usage: `requests` when allowed, `rateLimited` when not. */
  readonly usageTokenId?: number;
}

/** What a token has done, as the admin list shows it. */
export interface TokenUsage {
  /** Requests that passed every limit. */
  readonly requests: number;
  /** Requests refused with 429. */
  readonly rateLimited: number;
  /** The last request that passed, by the limiter's clock. */
  readonly lastUsedAt: Date | null;
}

/**
 * Where limit state lives. `apply` is all-or-nothing: when any check refuses, no check counts the
 * request, so a refused request never spends quota.
 */
export interface LimitStore {
  readonly name: string;
  apply(checks: readonly LimitCheck[], nowMs: number, options?: ApplyOptions): Promise<LimitOutcome>;
  /** Usage per token id; ids never seen are absent. */
  usage(tokenIds: readonly number[]): Promise<Map<number, TokenUsage>>;
  /** Whether the counts can be kept, for `gate.health()`. Never rejects. */
  health?(): Promise<ComponentHealth>;
}
