/**
 * Trust in the shared tier, lost and regained. The tier is trusted while it is reachable and holds
 * nothing an invalidation failed to remove. When an invalidation may have missed it (a failed
 * delete, a channel outage, a lost cluster node) it is "suspect": recovery then sets a new epoch,
 * which makes every older entry a miss on every instance, before the tier is served again.
 */
import type { Clock, InvalidationTransport, OnceLog } from "@tokengate/core";
import type { SharedTier } from "./shared-tier";

const RECOVERY_RETRY_MS = 1000;

/** Trust, epoch and recovery of one cache's shared tier. */
export class SharedTierTrust {
  /** The tier is reachable and holds nothing an invalidation failed to remove. */
  trusted = false;
  /**
   * The tier's epoch as this instance last learnt it (from the tier at recovery, or from an "all"
   * message). An entry written under another epoch is a miss: a new epoch empties the tier on every
   * node at once, with no SCAN, and whatever a failover brings back from a replica is stale.
   */
  epoch = "";
  /** Counts epochs learnt from messages, so a recovery's slower read cannot overwrite a newer one. */
  #epochNews = 0;
  /** An invalidation may not have reached the tier, or messages were missed: flush before trusting. */
  #suspect = false;
  #recovering: Promise<void> | undefined;
  #lastRecoveryAt = Number.NEGATIVE_INFINITY;
  #closed = false;
  readonly #tier: SharedTier;
  readonly #transport: InvalidationTransport;
  readonly #clock: Clock;
  readonly #log: OnceLog;
  readonly #recovered: () => void;

  /** `recovered` runs when the tier is trusted again (after `trusted` is set). */
  constructor(
    tier: SharedTier,
    transport: InvalidationTransport,
    clock: Clock,
    log: OnceLog,
    recovered: () => void,
  ) {
    this.#tier = tier;
    this.#transport = transport;
    this.#clock = clock;
    this.#log = log;
    this.#recovered = recovered;
  }

  /** A command failed; `suspect` when an invalidation may not have reached the tier. */
  failed(cause: unknown, suspect: boolean): void {
    this.trusted = false;
    if (suspect) this.#suspect = true;
    this.#log.fail(cause);
  }

  /** The channel is down: invalidations sent meanwhile may also have failed to reach the tier. */
  channelLost(): void {
    this.trusted = false;
    this.#suspect = true;
  }

  /** Another instance set a new epoch. */
  adopt(epoch: string): void {
    this.epoch = epoch;
    this.#epochNews++;
  }

  /**
   * Empties the tier for every instance at once: a fresh epoch. This instance adopts it here; the
   * others with the "all" message that carries it.
   */
  async newEpoch(): Promise<string> {
    const epoch = await this.#tier.newEpoch();
    this.adopt(epoch);
    return epoch;
  }

  /** The epoch in the tier, read again when trust returns; a newer one heard meanwhile wins. */
  async #readEpoch(): Promise<void> {
    for (;;) {
      const news = this.#epochNews;
      const epoch = await this.#tier.readEpoch();
      if (news !== this.#epochNews) continue;
      this.epoch = epoch;
      return;
    }
  }

  /** A lookup found the tier untrusted: try again, at most once a second. */
  maybeRecover(): void {
    const t = this.#clock().getTime();
    if (t - this.#lastRecoveryAt < RECOVERY_RETRY_MS) return;
    this.#lastRecoveryAt = t;
    void this.recover();
  }

  /** Trusts the tier (and the LRU) again once the channel listens and any suspect content is flushed. */
  recover(): Promise<void> {
    if (this.#recovering) return this.#recovering;
    if (this.#closed || !this.#transport.connected) return Promise.resolve();
    // The channel may come up before the tier's connection: a command now would fail (fail-fast
    // connections queue nothing) and log a false outage. That connection's "ready" starts this again.
    if (!this.#tier.ready) return Promise.resolve();
    this.#recovering = (async () => {
      try {
        if (this.#suspect) {
          const epoch = await this.newEpoch();
          // Instances that stayed connected still hold what this one could not tell them.
          await this.#transport.publish({ kind: "all", epoch });
          this.#suspect = false;
        } else {
          await this.#readEpoch();
        }
        if (!this.#transport.connected) return;
        this.trusted = true;
        this.#recovered();
      } catch (cause) {
        this.#log.fail(cause);
        // A cluster stays "ready" while one of its masters fails over: no event will start this
        // again, so it retries on its own until the epoch's node answers.
        if (this.#tier.retriesRecovery && !this.#closed)
          setTimeout(() => void this.recover(), RECOVERY_RETRY_MS).unref();
      } finally {
        this.#recovering = undefined;
      }
    })();
    return this.#recovering;
  }

  close(): void {
    this.#closed = true;
  }
}
