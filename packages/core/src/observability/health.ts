/**
 * `gate.health()`: whether each part tokengate depends on works — the store, the credential cache,
 * the invalidation channel and the rate limiter — each up, degraded or down with the reason, and
 * the two answers a deployment's probes want (`livenessAnswer`, `readinessAnswer`). Reasons are
 * fixed sentences written here or by the component: never a driver's message, which could quote a
 * connection string.
 */
import { type HttpAnswer, jsonAnswer } from "../errors";
import type { CredentialCache, TokenStore } from "../ports/types";

export type HealthStatus = "up" | "degraded" | "down";

/** One component's state; `reason` says why it is not up (or what it is, when there is none). */
export interface ComponentHealth {
  readonly status: HealthStatus;
  readonly reason?: string;
}

export interface GateHealth {
  /** Down when requests cannot be verified (store or limiter down); degraded when any part is not up. */
  readonly status: HealthStatus;
  readonly components: {
    readonly store: ComponentHealth;
    readonly cache: ComponentHealth;
    readonly invalidation: ComponentHealth;
    readonly limiter: ComponentHealth;
  };
}

/** What a cache says of itself (`CredentialCache.health`). `redis` only when it uses Redis. */
export interface CacheHealth {
  readonly cache: ComponentHealth;
  readonly invalidation: ComponentHealth;
  readonly redis?: ComponentHealth;
}

export const UP: ComponentHealth = Object.freeze({ status: "up" });

/** How long a store has to answer its ping before it counts as down. */
export const STORE_PING_TIMEOUT_MS = 2_000;

/**
 * Asks the store a trivial question (`ping`, or a read of an id no token has) within a deadline.
 */
export async function storeHealth(
  store: TokenStore,
  timeoutMs: number = STORE_PING_TIMEOUT_MS,
): Promise<ComponentHealth> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<"timeout">((resolve) => {
    timer = setTimeout(() => resolve("timeout"), timeoutMs);
    timer.unref?.();
  });
  try {
    const asked = store.ping ? store.ping() : store.findById(0);
    const answer = await Promise.race([asked.then(() => "answered" as const), deadline]);
    if (answer === "timeout") {
      asked.catch(() => {});
      return {
        status: "down",
        reason: `the token store (${store.name}) did not answer within ${timeoutMs} ms`,
      };
    }
    return UP;
  } catch {
    return { status: "down", reason: `the token store (${store.name}) cannot be reached` };
  } finally {
    clearTimeout(timer);
  }
}

/** Something with an optional `health()`: the rate limiter and the failure limiter. */
interface Checkable {
  health?(): Promise<ComponentHealth>;
}

const NO_CACHE: CacheHealth = Object.freeze({
  cache: Object.freeze({ status: "up", reason: "no cache: every lookup reads the store" }),
  invalidation: Object.freeze({ status: "up", reason: "no cache: nothing to invalidate" }),
});
const NO_LIMITER: ComponentHealth = Object.freeze({ status: "up", reason: "no rate limiter" });
const RANK: Record<HealthStatus, number> = { up: 0, degraded: 1, down: 2 };

/** The limiters' health, the worse of the two; one that cannot say is taken as up. */
async function limiterHealth(limiters: ReadonlyArray<Checkable | undefined>): Promise<ComponentHealth> {
  let worst: ComponentHealth | undefined;
  for (const limiter of limiters) {
    if (!limiter) continue;
    let health: ComponentHealth;
    try {
      health = limiter.health ? await limiter.health() : UP;
    } catch {
      health = { status: "down", reason: "the rate limiter's counter store cannot be reached" };
    }
    if (!worst || RANK[health.status] > RANK[worst.status]) worst = health;
  }
  return worst ?? NO_LIMITER;
}

/** `gate.health()`: asks the store and the limiters, reads the cache's own account of itself. */
export async function gateHealth(
  store: TokenStore,
  cache: CredentialCache | undefined,
  limiters: ReadonlyArray<Checkable | undefined>,
): Promise<GateHealth> {
  const [storeNow, limiter] = await Promise.all([storeHealth(store), limiterHealth(limiters)]);
  const cached = cache ? (cache.health?.() ?? { cache: UP, invalidation: UP }) : NO_CACHE;
  const components = { store: storeNow, cache: cached.cache, invalidation: cached.invalidation, limiter };
  return { status: overallStatus(components), components };
}

/** The whole gate's status from its components: see `GateHealth.status`. */
export function overallStatus(components: GateHealth["components"]): HealthStatus {
  if (components.store.status === "down" || components.limiter.status === "down") return "down";
  for (const name of ["store", "cache", "invalidation", "limiter"] as const) {
    if (components[name].status !== "up") return "degraded";
  }
  return "up";
}

/**
 * Ready to take traffic: the store answers and the cache is healthy (a cache still connecting, or
 * cut off from its invalidation channel, would send every request to the store).
 */
export function isReady(health: GateHealth): boolean {
  return (
    health.components.store.status === "up" &&
    health.components.cache.status === "up" &&
    health.components.limiter.status !== "down"
  );
}

/** `GET /healthz`: 200 while the process serves. The gate's parts are readiness's business. */
export function livenessAnswer(): HttpAnswer {
  return jsonAnswer(200, { status: "up" });
}

/** `GET /readyz`: 200 when `isReady`, else 503; the body is the health either way. */
export function readinessAnswer(health: GateHealth): HttpAnswer {
  return jsonAnswer(isReady(health) ? 200 : 503, health);
}
