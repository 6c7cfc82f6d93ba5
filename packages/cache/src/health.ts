/**
 * What the cache reports about itself for `gate.health()`, and `whenHealthy()`'s waiters. The
 * cache is healthy when its invalidation channel delivers and its shared tier (if any) is trusted;
 * until then it answers every lookup from the store.
 */
import type { CacheHealth, ComponentHealth, InvalidationTransport } from "@tokengate/core";
import { UP } from "@tokengate/core";

/** The facts the report is made of. */
export interface CacheHealthFacts {
  readonly closed: boolean;
  readonly healthy: boolean;
  readonly transport: InvalidationTransport;
  /** undefined: no shared tier. */
  readonly sharedTrusted: boolean | undefined;
}

/** The cache, its channel and its shared tier (reported as `redis`), up or not. */
export function cacheHealth(facts: CacheHealthFacts): CacheHealth {
  const redis: ComponentHealth | undefined =
    facts.sharedTrusted === undefined
      ? undefined
      : facts.sharedTrusted
        ? UP
        : { status: "down", reason: "Redis cannot be reached, or is being flushed after an outage" };
  const invalidation: ComponentHealth = facts.transport.connected
    ? UP
    : { status: "down", reason: `the invalidation channel (${facts.transport.name}) is not delivering` };
  const cache: ComponentHealth = facts.closed
    ? { status: "down", reason: "the cache is closed" }
    : facts.healthy
      ? UP
      : {
          status: "degraded",
          reason: "every lookup goes to the store until the channel and Redis are back",
        };
  return redis ? { cache, invalidation, redis } : { cache, invalidation };
}

/** The callers of `whenHealthy()` waiting for the cache to be fully working. */
export class HealthyWaiters {
  #waiters: Array<() => void> = [];

  wait(): Promise<void> {
    return new Promise((resolve) => this.#waiters.push(resolve));
  }

  release(): void {
    const waiters = this.#waiters;
    this.#waiters = [];
    for (const w of waiters) w();
  }
}
