/**
 * The conformance cases every `CredentialCache` runs (credential-cache.test.ts runs them against
 * each tier layout `tieredCache` offers: memory only, memory over Redis, Redis only, and memory
 * with Redis pub/sub, PostgreSQL NOTIFY or SQLite's data_version as the invalidation channel).
 *
 * The cases see a cache only through the `CredentialCache` interface and count what reaches the
 * store behind it. That is how the faults per-tier tests miss are caught: a tier that is never
 * back-filled (unkey's `tiered.ts`), a delete that is not awaited (unkey's upstash store), a
 * revocation that resolves before another instance has dropped the credential.
 *
 * Each test gets a world of its own: one shared store (one memory store, or one SQLite file seen
 * through a connection per instance), one Redis prefix or channel, and a clock the cases move.
 */
import type { CredentialCache, DirectoryUser, TokenStore } from "@tokengate/core";
import { ControlledSource } from "@tokengate/test-support";
import type { Delivery } from "./invalidation-cases";
import { eventually } from "./invalidation-cases";
import { freshDigest, type TestFn } from "./suites";

/** The in-process TTLs every subject is built with, so the cases can step over them. */
export const TTL_MS = 60_000;
export const NEGATIVE_TTL_MS = 5_000;

/** What reaches the store, counted, held or failed (the one source every cache suite uses). */
export { ControlledSource as CountingSource };

/** One instance of the application: its cache, what reaches its store, its connection to the store. */
export interface CacheInstance {
  readonly cache: CredentialCache;
  readonly source: ControlledSource;
  readonly store: TokenStore;
  readonly directory: { setDisabled(userId: number, disabled: boolean): unknown };
}

export interface CacheWorld {
  /**
   * Starts one more instance (another process) on the shared store and channel. It resolves once
   * the cache serves from its tiers, or at once with `{ waitUntilReady: false }` (its service may
   * be away).
   */
  start(options?: { waitUntilReady?: boolean }): Promise<CacheInstance>;
  /** How many connections the caches opened are still open at the service. */
  connections?(): Promise<number>;
  /** Takes Redis or PostgreSQL away from every instance, and brings it back. */
  outage?: { cut(): Promise<void>; restore(): Promise<void> };
  /**
   * Makes the shared tier refuse writes while it still answers reads and carries messages (Redis
   * at `maxmemory` with `noeviction`); returns what allows them again.
   */
  refuseWrites?(): Promise<() => Promise<void>>;
  dispose(): Promise<void>;
}

export interface CacheSubject {
  /** Tiers the cache has: `memory` answers `peek` without I/O; `shared` answers for every instance. */
  readonly tiers: { readonly memory: boolean; readonly shared: boolean };
  /** How a revocation through one instance reaches the others (see `Delivery`). */
  readonly propagation: Delivery;
  /**
   * Whether every tier's lifetime follows the injected clock. Redis expires entries on its own
   * clock, so a cache with a Redis tier cannot be stepped past its TTL without waiting.
   */
  readonly clockedTtl: boolean;
  /** Whether the cache depends on a service (Redis, PostgreSQL) whose world can take it away. */
  readonly service: boolean;
  /** A world whose caches all read `clock` (built with `TTL_MS` and `NEGATIVE_TTL_MS`). */
  world(clock: () => Date): Promise<CacheWorld>;
}

/** The user every token belongs to; worlds create it. */
export const CACHE_USER: DirectoryUser = { id: 1, name: "Ada", disabled: false };

export function credentialCacheCases(subject: CacheSubject, test: TestFn = it): void {
  const { tiers, propagation } = subject;
  let now = new Date("2026-03-01T00:00:00Z");
  let world: CacheWorld;
  let instances: CacheInstance[] = [];

  beforeEach(async () => {
    now = new Date("2026-03-01T00:00:00Z");
    world = await subject.world(() => now);
  });
  afterEach(async () => {
    const open = instances;
    instances = [];
    await Promise.all(open.map((i) => i.cache.close?.()));
    await world.dispose();
  });

  const advance = (ms: number) => {
    now = new Date(now.getTime() + ms);
  };

  async function start(options?: { waitUntilReady?: boolean }): Promise<CacheInstance> {
    const instance = await world.start(options);
    instances.push(instance);
    return instance;
  }

  async function issue(via: CacheInstance) {
    const digest = freshDigest();
    const record = await via.store.insert({
      name: "deploy bot",
      digest,
      algorithm: "SHA512",
      userId: CACHE_USER.id,
      teamId: null,
      createdAt: new Date("2026-01-01T00:00:00Z"),
      expiresAt: new Date("2030-05-01T12:00:00Z"),
      scopes: ["documents:read"],
    });
    return { record, digest };
  }

  /**
   * Asserts that `b` refuses `digest`, as soon as the cache's propagation promises: at once when
   * `invalidate` resolved only after every instance dropped it (or when the next read checks), within
   * a round trip when delivery follows the publish.
   */
  async function expectRefused(b: CacheInstance, digest: string): Promise<void> {
    if (propagation === "eventual")
      await eventually(async () => (await b.cache.lookup(digest)) === null, 3000);
    expect(await b.cache.lookup(digest)).toBeNull();
  }

  test("names itself", async () => {
    const a = await start();
    expect(typeof a.cache.name).toBe("string");
    expect(a.cache.name.length).toBeGreaterThan(0);
  });

  test("finds a credential, then serves it again without asking the store", async () => {
    const a = await start();
    const { record, digest } = await issue(a);
    const first = await a.cache.lookup(digest);
    expect(first).toEqual(await a.source.lookup(digest));
    a.source.calls = 0;
    const again = await a.cache.lookup(digest);
    expect(again?.token.id).toBe(record.id);
    // Dates come back as Dates, whichever tier answered.
    expect(again?.token.expiresAt).toEqual(record.expiresAt);
    expect(again?.token.createdAt).toBeInstanceOf(Date);
    expect(a.source.calls).toBe(0);
  });

  test("an unknown digest is null, and remembered", async () => {
    const a = await start();
    const unknown = freshDigest();
    expect(await a.cache.lookup(unknown)).toBeNull();
    expect(await a.cache.lookup(unknown)).toBeNull();
    expect(a.source.calls).toBe(1);
  });

  test("concurrent misses for one digest make one store query", async () => {
    const a = await start();
    const { record, digest } = await issue(a);
    a.source.hold();
    const lookups = Array.from({ length: 50 }, () => a.cache.lookup(digest));
    await a.source.started();
    a.source.release();
    const results = await Promise.all(lookups);
    expect(a.source.calls).toBe(1);
    expect(results.map((r) => r?.token.id)).toEqual(lookups.map(() => record.id));
  });

  test("the store's errors reach the caller, and nothing is remembered from them", async () => {
    const a = await start();
    const { record, digest } = await issue(a);
    a.source.fail(new Error("connection refused"));
    await expect(a.cache.lookup(digest)).rejects.toThrow("connection refused");
    await expect(a.cache.lookup(digest)).rejects.toThrow("connection refused");
    a.source.fail(undefined);
    expect((await a.cache.lookup(digest))?.token.id).toBe(record.id);
    expect(a.source.calls).toBe(3);
  });

  if (tiers.memory) {
    test("a credential loaded from the store is then held in memory (peek answers without I/O)", async () => {
      const a = await start();
      const { record, digest } = await issue(a);
      expect(a.cache.peek?.(digest)).toBeUndefined();
      await a.cache.lookup(digest);
      expect(a.cache.peek?.(digest)?.token.id).toBe(record.id);
      const unknown = freshDigest();
      await a.cache.lookup(unknown);
      expect(a.cache.peek?.(unknown)).toBeNull();
    });
  }

  if (tiers.shared) {
    test("another instance is answered by the shared tier, without asking the store", async () => {
      const a = await start();
      const { record, digest } = await issue(a);
      const unknown = freshDigest();
      await a.cache.lookup(digest);
      await a.cache.lookup(unknown);
      const b = await start();
      expect((await b.cache.lookup(digest))?.token.id).toBe(record.id);
      expect(await b.cache.lookup(unknown)).toBeNull();
      expect(b.source.calls).toBe(0);
    });
  }

  if (tiers.memory && tiers.shared) {
    // unkey's tiered cache never wrote what a lower tier found back to the tiers above it.
    test("what the shared tier answers is back-filled into the memory tier", async () => {
      const a = await start();
      const { record, digest } = await issue(a);
      await a.cache.lookup(digest);
      const b = await start();
      expect(b.cache.peek?.(digest)).toBeUndefined();
      await b.cache.lookup(digest);
      expect(b.source.calls).toBe(0);
      // Held in B's memory now: no further trip to the shared tier is needed.
      expect(b.cache.peek?.(digest)?.token.id).toBe(record.id);
    });
  }

  if (tiers.shared) {
    // unkey's upstash store did not await its delete: a failed delete went unnoticed, and the
    // revocation was reported done while the shared tier still served the credential.
    test("when the shared tier refuses the delete, invalidate rejects (503) instead of resolving", async () => {
      if (!world.refuseWrites) throw new Error("this world cannot make its shared tier refuse writes");
      const a = await start();
      const b = await start();
      const { record, digest } = await issue(a);
      await a.cache.lookup(digest);
      await b.cache.lookup(digest);
      await a.store.delete(record.id);
      const allow = await world.refuseWrites();
      try {
        await expect(a.cache.invalidate([digest])).rejects.toMatchObject({
          code: "store_unavailable",
          status: 503,
        });
        // Refused here at once, whatever the shared tier still holds.
        expect(await a.cache.lookup(digest)).toBeNull();
      } finally {
        await allow();
      }
      // The revoker's retry goes through once the tier takes writes again, and then holds everywhere.
      await eventually(() =>
        a.cache.invalidate([digest]).then(
          () => true,
          () => false,
        ),
      );
      await expectRefused(b, digest);
      expect(await a.cache.lookup(digest)).toBeNull();
      expect(await (await start()).cache.lookup(digest)).toBeNull();
    });
  }

  test("invalidate drops the credential here: the next lookup asks the store", async () => {
    const a = await start();
    const { record, digest } = await issue(a);
    await a.cache.lookup(digest);
    await a.store.delete(record.id);
    await a.cache.invalidate([digest]);
    expect(await a.cache.lookup(digest)).toBeNull();
    expect(a.source.calls).toBe(2);
  });

  test("invalidate of nothing, or of digests never seen, resolves", async () => {
    const a = await start();
    await a.cache.invalidate([]);
    await a.cache.invalidate([freshDigest(), freshDigest()]);
  });

  test("an instance started after a revocation refuses the token too", async () => {
    const a = await start();
    const { record, digest } = await issue(a);
    await a.cache.lookup(digest);
    await a.store.delete(record.id);
    await a.cache.invalidate([digest]);
    const c = await start();
    expect(await c.cache.lookup(digest)).toBeNull();
  });

  test("a load that began before a revocation does not cache the revoked credential", async () => {
    const a = await start();
    const { record, digest } = await issue(a);
    a.source.hold();
    const inFlight = a.cache.lookup(digest); // has read the store (token present), then waits
    await a.source.started();
    await a.store.delete(record.id);
    await a.cache.invalidate([digest]);
    a.source.release();
    // Its caller asked before the revocation and may see the old answer...
    expect((await inFlight)?.token.id).toBe(record.id);
    // ...but no tier kept it: the next lookup goes back to the store and is refused.
    expect(await a.cache.lookup(digest)).toBeNull();
    expect(a.source.calls).toBe(2);
  });

  test("a lookup after a revocation does not join a load that began before it", async () => {
    const a = await start();
    const { record, digest } = await issue(a);
    a.source.hold();
    const before = a.cache.lookup(digest);
    await a.source.started();
    await a.store.delete(record.id);
    await a.cache.invalidate([digest]);
    const after = a.cache.lookup(digest);
    a.source.release();
    expect(await after).toBeNull();
    await before;
  });

  test("invalidateAll drops every credential here (a user was disabled)", async () => {
    const a = await start();
    const one = await issue(a);
    const two = await issue(a);
    await a.cache.lookup(one.digest);
    await a.cache.lookup(two.digest);
    a.directory.setDisabled(CACHE_USER.id, true);
    await a.cache.invalidateAll();
    expect((await a.cache.lookup(one.digest))?.actingUser?.disabled).toBe(true);
    expect((await a.cache.lookup(two.digest))?.actingUser?.disabled).toBe(true);
  });

  test("a load that began before invalidateAll does not cache what it read", async () => {
    const a = await start();
    const { digest } = await issue(a);
    a.source.hold();
    const inFlight = a.cache.lookup(digest);
    await a.source.started();
    a.directory.setDisabled(CACHE_USER.id, true);
    await a.cache.invalidateAll();
    a.source.release();
    expect((await inFlight)?.actingUser?.disabled).toBe(false);
    expect((await a.cache.lookup(digest))?.actingUser?.disabled).toBe(true);
    expect(await (await start()).cache.lookup(digest).then((c) => c?.actingUser?.disabled)).toBe(true);
  });

  test("closing twice resolves both times", async () => {
    const a = await start();
    instances.splice(instances.indexOf(a), 1);
    await a.cache.lookup(freshDigest());
    await a.cache.close?.();
    await expect(a.cache.close?.()).resolves.toBeUndefined();
  });

  if (subject.clockedTtl) {
    test("a credential is served from memory until its TTL on the injected clock, then reloaded", async () => {
      const a = await start();
      const { digest } = await issue(a);
      await a.cache.lookup(digest);
      advance(TTL_MS - 1);
      await a.cache.lookup(digest);
      expect(a.source.calls).toBe(1);
      advance(2);
      await a.cache.lookup(digest);
      expect(a.source.calls).toBe(2);
    });

    test('"no such token" is remembered for the negative TTL only', async () => {
      const a = await start();
      const unknown = freshDigest();
      await a.cache.lookup(unknown);
      advance(NEGATIVE_TTL_MS - 1);
      await a.cache.lookup(unknown);
      expect(a.source.calls).toBe(1);
      advance(2);
      await a.cache.lookup(unknown);
      expect(a.source.calls).toBe(2);
    });
  }

  if (propagation !== "none") {
    test("a revocation through one instance is refused by every other instance", async () => {
      const a = await start();
      const b = await start();
      const c = await start();
      const { record, digest } = await issue(a);
      for (const i of [a, b, c]) {
        expect((await i.cache.lookup(digest))?.token.id).toBe(record.id);
        expect((await i.cache.lookup(digest))?.token.id).toBe(record.id);
      }
      await a.store.delete(record.id);
      await a.cache.invalidate([digest]);
      await expectRefused(b, digest);
      await expectRefused(c, digest);
    });

    test("ten revocations in a row each hold on the other instance as soon as promised", async () => {
      const a = await start();
      const b = await start();
      for (let i = 0; i < 10; i++) {
        const { record, digest } = await issue(a);
        await b.cache.lookup(digest);
        await b.cache.lookup(digest);
        await a.store.delete(record.id);
        await a.cache.invalidate([digest]);
        await expectRefused(b, digest);
      }
    });

    test("a load on another instance that began before a revocation does not keep it anywhere", async () => {
      const a = await start();
      const b = await start();
      const { record, digest } = await issue(a);
      b.source.hold();
      const inFlight = b.cache.lookup(digest); // B has read the store (token present), then waits
      await b.source.started();
      await a.store.delete(record.id);
      await a.cache.invalidate([digest]);
      b.source.release();
      await inFlight;
      // Neither B's tiers nor a shared one kept what B's load read before the revocation.
      await expectRefused(b, digest);
      expect(await a.cache.lookup(digest)).toBeNull();
      expect(await (await start()).cache.lookup(digest)).toBeNull();
    });

    test("invalidateAll through one instance reaches every other instance", async () => {
      const a = await start();
      const b = await start();
      const { digest } = await issue(a);
      await a.cache.lookup(digest);
      await b.cache.lookup(digest);
      await b.cache.lookup(digest);
      a.directory.setDisabled(CACHE_USER.id, true);
      await a.cache.invalidateAll();
      if (propagation === "eventual") {
        await eventually(async () => (await b.cache.lookup(digest))?.actingUser?.disabled === true, 3000);
      }
      expect((await b.cache.lookup(digest))?.actingUser?.disabled).toBe(true);
    });
  }

  test("close releases every connection the cache opened", async () => {
    const a = await start();
    const { digest } = await issue(a);
    await a.cache.lookup(digest);
    instances.splice(instances.indexOf(a), 1);
    if (world.connections) expect(await world.connections()).toBeGreaterThan(0);
    await expect(a.cache.close?.()).resolves.toBeUndefined();
    if (world.connections) await eventually(async () => (await world.connections!()) === 0, 3000);
  });

  if (!subject.service) return;

  test("started while its service is away: answers from the store, invalidate rejects (503), then caches", async () => {
    if (!world.outage) throw new Error("this world cannot take its service away");
    await world.outage.cut();
    const a = await start({ waitUntilReady: false });
    const { record, digest } = await issue(a);
    for (let i = 1; i <= 3; i++) {
      expect((await a.cache.lookup(digest))?.token.id).toBe(record.id);
      expect(a.source.calls).toBe(i);
    }
    await expect(a.cache.invalidate([digest])).rejects.toMatchObject({
      code: "store_unavailable",
      status: 503,
    });
    await world.outage.restore();
    await eventually(async () => {
      const calls = a.source.calls;
      expect((await a.cache.lookup(digest))?.token.id).toBe(record.id);
      return a.source.calls === calls;
    }, 10_000);
    await a.store.delete(record.id);
    await a.cache.invalidate([digest]);
    expect(await a.cache.lookup(digest)).toBeNull();
  });

  test("while its service is away: answers from the store, never stale, and invalidate rejects (503)", async () => {
    if (!world.outage) throw new Error("this world cannot take its service away");
    const a = await start();
    const kept = await issue(a);
    const revoked = await issue(a);
    await a.cache.lookup(kept.digest);
    await a.cache.lookup(revoked.digest);
    await world.outage.cut();
    // Once the cache has noticed, every lookup reads the store: a revocation made elsewhere
    // meanwhile could not reach it.
    await eventually(async () => {
      const calls = a.source.calls;
      await a.cache.lookup(kept.digest);
      return a.source.calls > calls;
    });
    await a.store.delete(revoked.record.id);
    await expect(a.cache.invalidate([revoked.digest])).rejects.toMatchObject({
      code: "store_unavailable",
      status: 503,
    });
    expect(await a.cache.lookup(revoked.digest)).toBeNull();
    expect((await a.cache.lookup(kept.digest))?.token.id).toBe(kept.record.id);

    await world.outage.restore();
    // Back: invalidations are delivered again, and nothing revoked meanwhile is served.
    await eventually(
      () =>
        a.cache.invalidate([freshDigest()]).then(
          () => true,
          () => false,
        ),
      10_000,
    );
    expect(await a.cache.lookup(revoked.digest)).toBeNull();
    // And caching again once the cache trusts its tiers: a lookup that does not reach the store.
    await eventually(async () => {
      const calls = a.source.calls;
      expect((await a.cache.lookup(kept.digest))?.token.id).toBe(kept.record.id);
      return a.source.calls === calls;
    }, 10_000);
  });
}
