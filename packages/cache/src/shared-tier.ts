/**
 * The shared-tier seam: what `tieredCache` asks of a cache that every instance shares (between its
 * in-process LRU and the store). `@tokengate/redis`'s `redisTier` is the implementation; the cache
 * itself knows no server, so it needs neither ioredis nor pg.
 *
 * The cache owns the rules (generations, epochs, trust and recovery); a tier only stores and reads.
 */
import type { InvalidationTransport, Logger, ResolvedCredential } from "@tokengate/core";

/** One entry as the shared tier holds it: a credential, or null for "no such token". */
export interface SharedEntry {
  readonly value: ResolvedCredential | null;
  /** The epoch the entry was written under; an entry of another epoch is a miss. */
  readonly epoch: string;
}

/** A read of one digest: its entry (if any usable one) and its generation, read together. */
export interface SharedRead {
  readonly entry: SharedEntry | undefined;
  /** The digest's generation ("" for none): a write succeeds only while it is unchanged. */
  readonly generation: string;
}

/** What the shared tier tells the cache about its connection. */
export interface SharedTierEvents {
  /** The connection is (again) ready for commands: the cache may try to trust the tier again. */
  ready(): void;
  /** Part of the tier is gone (a cluster node): acknowledged writes may be lost, so distrust it. */
  lost(cause: unknown): void;
}

/** What the cache gives a shared tier when it builds one. */
export interface SharedTierContext {
  readonly logger: Logger;
}

/** A shared tier, built for one cache by a `SharedTierFactory`. */
export interface SharedTier {
  /** Part of the cache's name ("lru+redis+redis-pubsub"). */
  readonly name: string;
  /** The telemetry tier its reads are counted as. */
  readonly tier: "redis";
  /** True while the tier's connection can take commands. */
  readonly ready: boolean;
  /**
   * True when a failed recovery must be retried on a timer: the connection can stay ready while
   * part of the tier fails over, so no `ready` event would start it again.
   */
  readonly retriesRecovery: boolean;
  /** Starts reporting to `events`; called once, before the invalidation transport is attached. */
  attach(events: SharedTierEvents): void;
  /** Reads a digest's entry and generation in one round trip. */
  read(digest: string): Promise<SharedRead>;
  /**
   * Writes an entry only if the digest's generation is still `generation`: a load that began before
   * a revocation and ends after it cannot put the revoked credential back.
   */
  write(digest: string, value: ResolvedCredential | null, generation: string, epoch: string): Promise<void>;
  /** Deletes the digests' entries and moves their generations, each pair at once. */
  remove(digests: readonly string[]): Promise<void>;
  /** Sets a fresh epoch for every instance and returns it. */
  newEpoch(): Promise<string>;
  /** The current epoch ("" for none). */
  readEpoch(): Promise<string>;
  /** Deletes entries orphaned by a new epoch (they are misses already); never throws. */
  sweep(): Promise<void>;
  /** The transport used when the application passes no `invalidation`. */
  defaultInvalidation?(): InvalidationTransport;
  /** Closes the tier's own connections. */
  close(): Promise<void>;
}

/** Builds the shared tier for one cache (each cache opens its own connections). */
export type SharedTierFactory = (context: SharedTierContext) => SharedTier;
