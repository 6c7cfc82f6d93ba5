/**
 * `tieredCache` with no shared tier: option checks, health, single-flight loads, invalidation
 * and the injected clock. The same cache over Redis is tested in `@tokengate/redis`, and every
 * layout runs the CredentialCache conformance suite (tests/conformance/credential-cache.test.ts).
 */
import { silentLogger } from "@tokengate/core";
import { ControlledSource, sharedStore } from "@tokengate/test-support";
import { localInvalidation, tieredCache } from "../src";

describe("tieredCache options", () => {
  it("needs a shared tier or an invalidation transport, and something to cache", () => {
    expect(() => tieredCache()).toThrow(TypeError);
    expect(() => tieredCache({ invalidation: localInvalidation(), lru: false })).toThrow(/nothing to cache/);
    expect(() => tieredCache({ invalidation: localInvalidation(), lru: { ttlMs: 0 } })).toThrow(/lru\.ttlMs/);
  });

  it("a factory's transport serves one cache", async () => {
    const { source } = await sharedStore();
    const factory = tieredCache({ invalidation: localInvalidation(), logger: silentLogger });
    const cache = factory(source);
    expect(() => factory(source)).toThrow(/already serves a cache/);
    await cache.close();
  });
});

describe("tieredCache health without Redis", () => {
  it("is up with a local channel, and names no Redis", async () => {
    const { source } = await sharedStore();
    const cache = tieredCache({ invalidation: localInvalidation() })(new ControlledSource(source));
    expect(cache.health()).toEqual({ cache: { status: "up" }, invalidation: { status: "up" } });
    expect(cache.name).toBe("lru+local");
    await cache.close();
    expect(cache.health().cache).toEqual({ status: "down", reason: "the cache is closed" });
  });
});

describe("tieredCache in memory", () => {
  /** One stored token and a memory-only cache over a source that counts its loads. */
  async function oneToken(plain: string) {
    const { issue, source } = await sharedStore();
    const { digest } = await issue("t", plain);
    const counted = new ControlledSource(source);
    const cache = tieredCache({ invalidation: localInvalidation(), logger: silentLogger })(counted);
    return { digest, counted, cache };
  }

  it("concurrent misses share one store query, and later lookups are served from memory", async () => {
    const { digest, counted, cache } = await oneToken("api_aaaaaaaaaaaaaaaa");
    const [a, b] = await Promise.all([cache.lookup(digest), cache.lookup(digest)]);
    expect(a?.token.digest).toBe(digest);
    expect(b).toBe(a);
    expect(cache.peek(digest)).toBe(a);
    await cache.lookup(digest);
    expect(counted.calls).toBe(1);
    await cache.close();
  });

  it("an invalidated digest is loaded again, and a load it overtook is not cached", async () => {
    const { digest, counted, cache } = await oneToken("api_bbbbbbbbbbbbbbbb");
    counted.hold();
    const overtaken = cache.lookup(digest);
    await counted.started();
    await cache.invalidate([digest]);
    counted.release();
    await overtaken;
    expect(cache.peek(digest)).toBeUndefined();
    await cache.lookup(digest);
    expect(counted.calls).toBe(2);
    await cache.close();
  });

  it("expires entries by the injected clock; `now` still works as the clock's old name", async () => {
    const { issue, source } = await sharedStore();
    const { digest } = await issue("three", "api_cccccccccccccccc");
    let now = new Date("2026-01-01T00:00:00Z");
    for (const clockOption of [{ clock: () => now }, { now: () => now }]) {
      const counted = new ControlledSource(source);
      const cache = tieredCache({
        invalidation: localInvalidation(),
        logger: silentLogger,
        lru: { ttlMs: 1_000 },
        ...clockOption,
      })(counted);
      await cache.lookup(digest);
      now = new Date(now.getTime() + 999);
      expect(cache.peek(digest)).not.toBeUndefined();
      now = new Date(now.getTime() + 2);
      expect(cache.peek(digest)).toBeUndefined();
      await cache.close();
    }
  });
});
