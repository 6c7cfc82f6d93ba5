/**
 * `TieredCache`, the cache `tieredCache` builds: lookups through the tiers, invalidation, and the
 * reports of the invalidation transport and of the shared tier. Each concern it composes has its
 * own file (`lru-tier.ts`, `single-flight.ts`, `recovery.ts`, `health.ts`). It is a little over 300
 * lines because what stays is the order in which they are asked (a revocation against a load in
 * flight, an outage against a recovery): that order is the cache's correctness argument, and split
 * over files it could no longer be checked in one reading.
 */
import {
  type CacheHealth,
  type CacheObserver,
  type Clock,
  type CredentialLookup,
  type InvalidationMessage,
  type InvalidationSink,
  type InvalidationTransport,
  type Logger,
  type LookupReport,
  OnceLog,
  type ResolvedCredential,
  systemClock,
  TokenGateError,
} from "@tokengate/core";
import type { LRUCache } from "lru-cache";
import { cacheHealth, HealthyWaiters } from "./health";
import { createLruTier, fillLruTier, type LruEntry, type LruTierConfig } from "./lru-tier";
import { SharedTierTrust } from "./recovery";
import type { SharedTier } from "./shared-tier";
import { type Flight, SingleFlight } from "./single-flight";
import type { TieredCredentialCache } from "./tiered-cache";

/** The factory's checked options, shared by every cache it builds. */
export interface CacheConfig {
  readonly lru: false | LruTierConfig;
  readonly logger: Logger;
  /** undefined: the system clock (the LRU then reads `Date.now` directly). */
  readonly clock: Clock | undefined;
}

/** One cache, built by `tieredCache`'s factory for one gate. */
export class TieredCache implements TieredCredentialCache, InvalidationSink {
  readonly name: string;
  readonly #source: CredentialLookup;
  readonly #lruConfig: LruTierConfig | false;
  readonly #lru: LRUCache<string, LruEntry> | undefined;
  readonly #shared: SharedTier | undefined;
  /** Set exactly when `#shared` is. */
  readonly #trust: SharedTierTrust | undefined;
  readonly #transport: InvalidationTransport;
  readonly #flights = new SingleFlight();
  readonly #log: OnceLog;
  readonly #waiters = new HealthyWaiters();
  /** Bumped by invalidateAll and by every channel outage: loads begun before must not cache. */
  #epoch = 0;
  /** The channel is listening and no invalidation can have been missed: the LRU may be served. */
  #channelUp = false;
  #closed = false;
  readonly #observer: CacheObserver | undefined;

  constructor(
    source: CredentialLookup,
    config: CacheConfig,
    shared: SharedTier | undefined,
    invalidation: InvalidationTransport | undefined,
    observer?: CacheObserver,
  ) {
    this.#source = source;
    this.#observer = observer;
    this.#lruConfig = config.lru;
    if (config.lru) this.#lru = createLruTier(config.lru, config.clock);
    this.#shared = shared;
    const transport = invalidation ?? shared?.defaultInvalidation?.();
    if (!transport)
      throw new TypeError("tieredCache: the shared tier has no invalidation channel of its own");
    this.#transport = transport;
    this.name = [this.#lru ? "lru" : undefined, shared?.name, transport.name].filter(Boolean).join("+");
    this.#log = new OnceLog(config.logger, `credential cache (${this.name})`);
    if (shared) {
      this.#trust = new SharedTierTrust(shared, transport, config.clock ?? systemClock, this.#log, () => {
        this.#dropAllLocal();
        this.#channelUp = true;
        this.#checkHealthy();
      });
      const trust = this.#trust;
      shared.attach({
        ready: () => {
          if (!trust.trusted) void trust.recover();
        },
        lost: (cause) => {
          if (this.#closed) return;
          trust.failed(cause, true);
          void trust.recover();
        },
      });
    }
    transport.attach(this);
  }

  get degraded(): boolean {
    return !this.#healthy();
  }

  #healthy(): boolean {
    return this.#channelUp && (!this.#trust || this.#trust.trusted);
  }

  health(): CacheHealth {
    return cacheHealth({
      closed: this.#closed,
      healthy: this.#healthy(),
      transport: this.#transport,
      sharedTrusted: this.#trust?.trusted,
    });
  }

  whenHealthy(): Promise<void> {
    if (this.#healthy()) return Promise.resolve();
    return this.#waiters.wait();
  }

  #checkHealthy(): void {
    if (!this.#healthy()) return;
    this.#log.recover();
    this.#waiters.release();
  }

  // ---- lookups -------------------------------------------------------------------------------

  /** Reads of the in-process tier are counted here, where the verifier asks first. */
  peek(digest: string): ResolvedCredential | null | undefined {
    const value = this.#peekLocal(digest);
    if (this.#observer && this.#lru && this.#channelUp)
      this.#observer.cacheRead("memory", value !== undefined);
    return value;
  }

  #peekLocal(digest: string): ResolvedCredential | null | undefined {
    if (!this.#lru) return undefined;
    this.#transport.beforeLocalRead?.();
    // While the invalidation channel is down a local copy may have been revoked elsewhere.
    if (!this.#channelUp) return undefined;
    return this.#lru.get(digest)?.value;
  }

  lookup(digest: string, report?: LookupReport): Promise<ResolvedCredential | null> {
    const hit = this.#peekLocal(digest);
    if (hit !== undefined) {
      if (report) report.tier = "memory";
      return Promise.resolve(hit);
    }
    const flight =
      this.#flights.get(digest) ??
      this.#flights.start(digest, this.#epoch, (f) => this.#loadThroughTiers(digest, f));
    return report ? this.#reported(flight, report) : flight.promise;
  }

  /** Waits for a load and says which tier answered it (only when telemetry asks). */
  async #reported(flight: Flight, report: LookupReport): Promise<ResolvedCredential | null> {
    const value = await flight.promise;
    report.tier = flight.tier;
    return value;
  }

  #current(flight: Flight): boolean {
    return !flight.revoked && flight.epoch === this.#epoch;
  }

  async #loadThroughTiers(digest: string, flight: Flight): Promise<ResolvedCredential | null> {
    const shared = this.#shared;
    const trust = this.#trust;
    const epoch = trust?.epoch ?? "";
    // The generation seen before reading the store; undefined: do not write to the shared tier.
    let generation: string | undefined;
    if (shared && trust?.trusted) {
      try {
        const read = await shared.read(digest);
        generation = read.generation;
        const entry = read.entry;
        const current = entry !== undefined && entry.epoch === epoch;
        this.#observer?.cacheRead(shared.tier, current);
        if (entry && current) {
          flight.tier = shared.tier;
          this.#fillLocal(digest, entry, flight);
          return entry.value;
        }
      } catch (cause) {
        trust.failed(cause, false);
        generation = undefined;
      }
    } else if (trust) {
      trust.maybeRecover();
    }

    // The store's errors propagate: the verifier answers 503, never a 401 and never a pass.
    const value = await this.#source.lookup(digest);

    if (shared && trust && generation !== undefined && this.#current(flight) && trust.trusted) {
      try {
        await shared.write(digest, value, generation, epoch);
      } catch (cause) {
        trust.failed(cause, false);
      }
    }
    this.#fillLocal(digest, { value }, flight);
    return value;
  }

  #fillLocal(digest: string, entry: LruEntry, flight: Flight): void {
    if (!this.#lru || !this.#channelUp || !this.#current(flight) || !this.#lruConfig) return;
    fillLruTier(this.#lru, this.#lruConfig, digest, entry);
  }

  // ---- invalidation --------------------------------------------------------------------------

  #dropLocal(digests: readonly string[]): void {
    for (const digest of digests) {
      this.#lru?.delete(digest);
      this.#flights.revoke(digest);
    }
  }

  #dropAllLocal(): void {
    this.#epoch++;
    this.#lru?.clear();
    this.#flights.revokeAll();
  }

  async invalidate(digests: readonly string[]): Promise<void> {
    if (digests.length === 0) return;
    this.#dropLocal(digests);
    const shared = this.#shared;
    const trust = this.#trust;
    if (shared && trust) {
      try {
        await shared.remove(digests);
      } catch (cause) {
        trust.failed(cause, true);
        // The entries may still be in the tier (their node is failing over, say). A new epoch, on
        // whichever node holds the epoch key, makes them misses everywhere; failing that, the other
        // instances are still told to drop their copies before this one says it could not finish.
        let epoch: string;
        try {
          epoch = await trust.newEpoch();
        } catch {
          await this.#transport.publish({ kind: "digests", digests }).catch(() => {});
          throw this.#undelivered(cause);
        }
        await this.#publish({ kind: "all", epoch });
        return;
      }
    }
    await this.#publish({ kind: "digests", digests });
  }

  async invalidateAll(): Promise<void> {
    this.#dropAllLocal();
    let epoch: string | undefined;
    const shared = this.#shared;
    const trust = this.#trust;
    if (shared && trust) {
      try {
        epoch = await trust.newEpoch();
      } catch (cause) {
        trust.failed(cause, true);
        throw this.#undelivered(cause);
      }
      await shared.sweep();
    }
    await this.#publish(epoch === undefined ? { kind: "all" } : { kind: "all", epoch });
  }

  async #publish(message: InvalidationMessage): Promise<void> {
    const started = performance.now();
    try {
      await this.#transport.publish(message);
      this.#observer?.invalidationSettled((performance.now() - started) / 1000, true);
    } catch (cause) {
      this.#observer?.invalidationSettled((performance.now() - started) / 1000, false);
      this.#log.fail(cause);
      throw this.#undelivered(cause);
    }
  }

  /**
   * The revocation is in the store and dropped here, but other instances could not be told. Said
   * loudly rather than resolved: `invalidate` promises every instance has been told. Instances that
   * lost the shared tier too already answer from the store; this one flushes it when it is back.
   */
  #undelivered(cause: unknown): TokenGateError {
    return new TokenGateError("store_unavailable", {
      message: "The change is stored, but the credential cache could not tell every instance yet",
      cause,
      retryAfter: 1,
    });
  }

  // ---- the transport's reports ---------------------------------------------------------------

  received(message: InvalidationMessage): void {
    if (message.kind === "all") {
      if (message.epoch !== undefined) this.#trust?.adopt(message.epoch);
      this.#dropAllLocal();
    } else this.#dropLocal(message.digests);
  }

  lost(cause: unknown): void {
    this.#channelUp = false;
    this.#trust?.channelLost();
    this.#dropAllLocal();
    this.#log.fail(cause);
  }

  restored(): void {
    this.#dropAllLocal();
    if (!this.#trust) {
      this.#channelUp = true;
      this.#checkHealthy();
      return;
    }
    void this.#trust.recover();
  }

  async close(): Promise<void> {
    this.#closed = true;
    this.#trust?.close();
    this.#channelUp = false;
    this.#dropAllLocal();
    await this.#transport.close();
    if (this.#shared) await this.#shared.close();
  }
}
