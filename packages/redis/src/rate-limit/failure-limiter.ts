/**
 * `FailedAuthLimiter`: the gate's `failureLimiter`, a GCRA limit on failed authentications per
 * client address, counted in a `LimitStore`.
 */
import { type ComponentHealth, type FailureLimiter, UP } from "@tokengate/core";
import type { LimitCheck, LimitStore } from "./limit-store";

export interface FailedAuthLimiterOptions {
  /** The same store as the token limits, or another. */
  readonly store: LimitStore;
  /** Failed attempts an address may make per window before it is refused. Default 20. */
  readonly maxFailures?: number;
  /** Default 60. */
  readonly windowSeconds?: number;
}

/**
 * Refuses a client address with 429 once its failed authentications exceed `maxFailures` per
 * `windowSeconds` (GCRA, like the token limits: the allowance refills one attempt every
 * window / maxFailures), so a flood of invalid tokens stops before it reaches the token store.
 * Addresses come from the socket, or from `X-Forwarded-For` only behind `trustedProxies`.
 *
 * @example
 * createTokenGate({ store, directory, failureLimiter: new FailedAuthLimiter({ store: limits, maxFailures: 20 }) });
 */
export class FailedAuthLimiter implements FailureLimiter {
  readonly #store: LimitStore;
  readonly #limit: number;
  readonly #windowMs: number;

  constructor(options: FailedAuthLimiterOptions) {
    if (!options?.store || typeof options.store.apply !== "function") {
      throw new TypeError("FailedAuthLimiter: `store` must be a LimitStore");
    }
    const limit = options.maxFailures ?? 20;
    const windowSeconds = options.windowSeconds ?? 60;
    if (!Number.isSafeInteger(limit) || limit < 1)
      throw new TypeError("FailedAuthLimiter: maxFailures must be ≥ 1");
    if (!Number.isSafeInteger(windowSeconds) || windowSeconds < 1) {
      throw new TypeError("FailedAuthLimiter: windowSeconds must be ≥ 1");
    }
    this.#store = options.store;
    this.#limit = limit;
    this.#windowMs = windowSeconds * 1000;
  }

  /** Its counter store's health (`gate.health()`); a store that cannot say is taken as up. */
  async health(): Promise<ComponentHealth> {
    return (await this.#store.health?.()) ?? UP;
  }

  async blocked(clientAddress: string, now: Date): Promise<number | null> {
    const outcome = await this.#store.apply([this.#check(clientAddress)], now.getTime(), { dryRun: true });
    if (outcome.allowed) return null;
    return Math.max(1, Math.ceil(outcome.states[0]!.waitMs / 1000));
  }

  async recordFailure(clientAddress: string, now: Date): Promise<void> {
    try {
      await this.#store.apply([this.#check(clientAddress)], now.getTime());
    } catch {
      // The store has logged it, and the next `blocked` applies the deployment's failure policy;
      // the request at hand is already refused, so losing one count here changes no answer.
    }
  }

  #check(address: string): LimitCheck {
    return {
      kind: "rate",
      group: address,
      key: `fail:${address}`,
      limit: this.#limit,
      windowMs: this.#windowMs,
    };
  }
}
