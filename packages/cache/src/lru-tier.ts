/**
 * The in-process tier: an LRU (lru-cache) of credentials and of "no such token" answers, with the
 * cache's clock for its TTLs. The cache holds the `LRUCache` itself, not a wrapper around it: the
 * warm verify path is one `get`, with no call or allocation in between.
 */
import type { Clock, ResolvedCredential } from "@tokengate/core";
import { LRUCache } from "lru-cache";

/** The in-process tier. */
export interface LruTierOptions {
  /** Most entries kept. Default 10 000. */
  max?: number;
  /** How long a found credential is served without asking Redis or the store. Default 60 000 ms. */
  ttlMs?: number;
  /** How long "no such token" is remembered. Default 5 000 ms. */
  negativeTtlMs?: number;
}

/** The tier's options, checked and with their defaults. */
export interface LruTierConfig {
  readonly max: number;
  readonly ttlMs: number;
  readonly negativeTtlMs: number;
}

/** One entry: a credential, or null for "no such token". */
export type LruEntry = { readonly value: ResolvedCredential | null };

/** A positive finite number, or a `TypeError` that names the option. */
export function positiveOption(
  factory: string,
  name: string,
  value: number | undefined,
  fallback: number,
): number {
  const v = value ?? fallback;
  if (!Number.isFinite(v) || v <= 0) throw new TypeError(`${factory}: ${name} must be a positive number`);
  return v;
}

/** Checks the options once, when the factory is called. */
export function lruTierConfig(options: LruTierOptions): LruTierConfig {
  return {
    max: positiveOption("tieredCache", "lru.max", options.max, 10_000),
    ttlMs: positiveOption("tieredCache", "lru.ttlMs", options.ttlMs, 60_000),
    negativeTtlMs: positiveOption("tieredCache", "lru.negativeTtlMs", options.negativeTtlMs, 5_000),
  };
}

/** The LRU for one cache. `clock` undefined: the system clock, read the cheapest way. */
export function createLruTier(config: LruTierConfig, clock: Clock | undefined): LRUCache<string, LruEntry> {
  return new LRUCache<string, LruEntry>({
    max: config.max,
    ttl: config.ttlMs,
    // Read the injected clock on every check: tests freeze it, and no timers are left behind.
    ttlResolution: 0,
    perf: { now: clock ? () => clock().getTime() : Date.now },
  });
}

/** Keeps an answer for its TTL: a found credential for `ttlMs`, "no such token" for `negativeTtlMs`. */
export function fillLruTier(
  lru: LRUCache<string, LruEntry>,
  config: LruTierConfig,
  digest: string,
  entry: LruEntry,
): void {
  lru.set(digest, entry, { ttl: entry.value ? config.ttlMs : config.negativeTtlMs });
}
