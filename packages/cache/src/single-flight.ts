/**
 * Single-flight loads: concurrent misses for one digest share one load (one store query), and a
 * load that an invalidation overtakes is marked so that its answer is returned but never cached.
 */
import type { CacheTier, ResolvedCredential } from "@tokengate/core";

/** One load under way. */
export interface Flight {
  readonly promise: Promise<ResolvedCredential | null>;
  /** Set when the digest is invalidated while this load runs: its result must not be cached. */
  revoked: boolean;
  /** The cache's epoch when the load began: a changed epoch (invalidateAll, outage) has the same effect. */
  readonly epoch: number;
  /** Which tier answered, once it has (for telemetry). */
  tier: CacheTier;
}

/** The loads under way, by digest. */
export class SingleFlight {
  readonly #flights = new Map<string, Flight>();

  /** The load under way for `digest`, to join. */
  get(digest: string): Flight | undefined {
    return this.#flights.get(digest);
  }

  /** Starts a load that later lookups of `digest` join until it settles. */
  start(digest: string, epoch: number, load: (flight: Flight) => Promise<ResolvedCredential | null>): Flight {
    const flight: { -readonly [K in keyof Flight]: Flight[K] } = {
      promise: undefined as unknown as Promise<ResolvedCredential | null>,
      revoked: false,
      epoch,
      tier: "store",
    };
    flight.promise = load(flight).finally(() => {
      if (this.#flights.get(digest) === flight) this.#flights.delete(digest);
    });
    this.#flights.set(digest, flight);
    return flight;
  }

  /** The digest was invalidated: its load may not cache, and lookups from now on start a fresh one. */
  revoke(digest: string): void {
    const flight = this.#flights.get(digest);
    if (flight) {
      flight.revoked = true;
      this.#flights.delete(digest);
    }
  }

  /** Everything was invalidated. */
  revokeAll(): void {
    for (const flight of this.#flights.values()) flight.revoked = true;
    this.#flights.clear();
  }
}
