/**
 * Where the real Redis and PostgreSQL are for tests, and what to do when one is missing.
 *
 * `scripts/run-tests.mjs` (the test command) probes the machine before jest starts: it exports the
 * URLs of the services that answer and lists the rest in `TOKENGATE_TEST_MISSING`, so a suite knows
 * synchronously, at `describe` time, whether it can run. A suite whose service is missing is
 * skipped as a whole (its hooks never run) after one loud line saying why, except under CI=true,
 * where it fails: CI must never go green by skipping. Running jest directly (no probe) assumes the
 * machine's defaults are up, and a suite whose service is down then fails loudly.
 */
import { existsSync } from "node:fs";
import { delimiter, join } from "node:path";
import { describeWhenAvailable } from "./gated";

export const redisUrl = process.env.TOKENGATE_TEST_REDIS_URL ?? "redis://127.0.0.1:6379";
export const postgresUrl =
  process.env.TOKENGATE_TEST_POSTGRES_URL ?? "postgres://postgres@127.0.0.1:5432/test";

/**
 * A running server, or the binaries for suites that start and kill their own: `redis-server` for
 * one server, "redis-topologies" for a Cluster or Sentinel group (`redis-server` and `redis-cli`).
 */
export type TestService = "redis" | "postgres" | "redis-server" | "redis-topologies";

const onPath = (name: string): string | undefined =>
  (process.env.PATH ?? "")
    .split(delimiter)
    .filter(Boolean)
    .map((dir) => join(dir, name))
    .find((candidate) => existsSync(candidate));

/** The `redis-server` found on PATH, for suites that run one of their own. */
export const redisServerPath: string | undefined = onPath("redis-server");

/** The `redis-cli` found on PATH: `redis-cli --cluster create` joins a test's own cluster. */
export const redisCliPath: string | undefined = onPath("redis-cli");

const missing = new Set((process.env.TOKENGATE_TEST_MISSING ?? "").split(",").filter(Boolean));

function whyMissing(service: TestService): string | undefined {
  if (service === "redis-server") return redisServerPath ? undefined : "no redis-server on PATH";
  if (service === "redis-topologies") {
    const absent = [redisServerPath ? "" : "redis-server", redisCliPath ? "" : "redis-cli"].filter(Boolean);
    return absent.length === 0 ? undefined : `no ${absent.join(" or ")} on PATH (Redis Cluster and Sentinel)`;
  }
  if (!missing.has(service)) return undefined;
  return service === "redis"
    ? `Redis not reachable (${redisUrl})`
    : `PostgreSQL not reachable (${postgresUrl.replace(/\/\/[^@]*@/, "//")})`;
}

/**
 * `describe` for a suite that needs real services. When one is missing: under CI=true the suite
 * fails with the reason; elsewhere it is skipped, hooks and all, with one loud line saying why.
 */
export function describeWithServices(
  services: ReadonlyArray<TestService>,
  name: string,
  body: () => void,
): void {
  const reasons = services.map(whyMissing).filter((reason): reason is string => reason !== undefined);
  describeWhenAvailable(
    name,
    reasons.length === 0 ? undefined : reasons.join("; "),
    "Start the service to run it.",
    body,
  );
}
