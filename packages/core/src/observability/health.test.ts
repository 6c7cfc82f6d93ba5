import { createTokenGate } from "../gate";
import { MemoryDirectory, MemoryTokenStore } from "../implementations/memory";
import type { TokenStore } from "../ports/types";
import { readinessAnswer, storeHealth } from "./health";

const directory = () => new MemoryDirectory().upsertUser({ id: 1, disabled: false });

/** A memory store whose every call fails, or never answers, as an unreachable database would. */
function brokenStore(mode: "refuses" | "hangs"): TokenStore {
  const store = new MemoryTokenStore();
  const broken = () =>
    mode === "refuses"
      ? Promise.reject(new Error("connect ECONNREFUSED 10.0.0.5:5432 password=hunter2"))
      : new Promise<never>(() => {});
  return Object.assign(Object.create(store) as TokenStore, {
    name: "memory",
    ping: broken,
    findById: broken,
  });
}

describe("gate.health()", () => {
  it("reports every component up on a memory gate, saying what is absent", async () => {
    const gate = createTokenGate({ store: new MemoryTokenStore(), directory: directory() });
    expect(await gate.health()).toEqual({
      status: "up",
      components: {
        store: { status: "up" },
        cache: { status: "up", reason: "no cache: every lookup reads the store" },
        invalidation: { status: "up", reason: "no cache: nothing to invalidate" },
        limiter: { status: "up", reason: "no rate limiter" },
      },
    });
    await gate.close();
  });

  it("reports a store that refuses as down, in its own words and not the driver's", async () => {
    const gate = createTokenGate({ store: brokenStore("refuses"), directory: directory() });
    const health = await gate.health();
    expect(health.status).toBe("down");
    expect(health.components.store).toEqual({
      status: "down",
      reason: "the token store (memory) cannot be reached",
    });
    expect(JSON.stringify(health)).not.toMatch(/hunter2|10\.0\.0\.5/);
    expect(readinessAnswer(health).status).toBe(503);
    await gate.close();
  });

  it("reports a store that does not answer in time as down", async () => {
    expect(await storeHealth(brokenStore("hangs"), 50)).toEqual({
      status: "down",
      reason: "the token store (memory) did not answer within 50 ms",
    });
  });

  it("takes the worse limiter; a limiter that is down makes the gate down and not ready", async () => {
    const gate = createTokenGate({
      store: new MemoryTokenStore(),
      directory: directory(),
      rateLimiter: {
        consume: () => Promise.reject(new Error("unused")),
        health: async () => ({ status: "degraded", reason: "limiting in memory" }),
      },
      failureLimiter: {
        blocked: async () => null,
        recordFailure: async () => {},
        health: () => Promise.reject(new Error("boom")),
      },
    });
    const health = await gate.health();
    expect(health.components.limiter).toEqual({
      status: "down",
      reason: "the rate limiter's counter store cannot be reached",
    });
    expect(health.status).toBe("down");
    expect(readinessAnswer(health).status).toBe(503);
    await gate.close();
  });

  it("is not ready while the cache is degraded (its invalidation channel away), though it serves", async () => {
    const store = new MemoryTokenStore();
    const gate = createTokenGate({
      store,
      directory: directory(),
      cache: (source) => ({
        name: "test",
        lookup: (digest) => source.lookup(digest),
        invalidate: async () => {},
        invalidateAll: async () => {},
        health: () => ({
          cache: { status: "degraded", reason: "reading the store" },
          invalidation: { status: "down", reason: "channel away" },
        }),
      }),
    });
    const health = await gate.health();
    expect(health.status).toBe("degraded");
    const answer = readinessAnswer(health);
    expect(answer.status).toBe(503);
    expect(JSON.parse(answer.body!)).toEqual(health);
    await gate.close();
  });
});
