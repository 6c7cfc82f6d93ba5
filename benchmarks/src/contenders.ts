/** Who runs in the HTTP benchmark. Each contender is one server process answering `GET /hello`. */

import type { GateEnvironment } from "./gates";

export type Framework = "hono" | "express" | "koa";

export type ContenderKind =
  | "baseline"
  | "ideal"
  | "tokengate-warm"
  | "tokengate-warm-telemetry-off"
  | "tokengate-warm-otel-sdk"
  | "tokengate-redis"
  | "tokengate-redis-cluster"
  | "tokengate-rate-limited"
  | "tokengate-rate-limited-cluster"
  | "tokengate-sqlite"
  | "tokengate-postgres"
  | "hono-bearer-auth"
  | "passport-bearer"
  | "better-auth-api-key";

export interface Contender {
  /** Stable id, e.g. `hono/tokengate-warm`; used on the command line (`--only`, `--profile`). */
  readonly id: string;
  readonly kind: ContenderKind;
  readonly framework: Framework;
  /** What the table shows. */
  readonly label: string;
}

const OWN: ReadonlyArray<{ kind: ContenderKind; label: string }> = [
  { kind: "baseline", label: "no auth (baseline)" },
  { kind: "ideal", label: "hand-written ideal (sha512 + Map)" },
  { kind: "tokengate-warm", label: "tokengate, warm in-process cache" },
  // The cost of OpenTelemetry (issue 14): the row above is the default (API present, no SDK).
  { kind: "tokengate-warm-telemetry-off", label: "tokengate, warm, telemetry: false" },
  { kind: "tokengate-warm-otel-sdk", label: "tokengate, warm, OpenTelemetry SDK registered" },
  { kind: "tokengate-redis", label: "tokengate, Redis only" },
  { kind: "tokengate-sqlite", label: "tokengate, SQLite every request" },
  { kind: "tokengate-postgres", label: "tokengate, PostgreSQL every request" },
];

/**
 * Single Redis beside Redis Cluster (issue 16), Hono only: the framework does not change what Redis
 * costs. "Rate-limited" is the warm in-process cache plus the Redis rate limiter (one EVALSHA per
 * request), so the row isolates the limiter's round trip on each topology. The cluster rows need
 * `redisClusterUrl` (benchmarks/src/cluster.ts starts one); without it they are "pending".
 */
const SCALE_OUT: ReadonlyArray<{ kind: ContenderKind; label: string }> = [
  { kind: "tokengate-redis-cluster", label: "tokengate, Redis only (Cluster, 3 masters + 3 replicas)" },
  { kind: "tokengate-rate-limited", label: "tokengate, warm cache + rate limit in Redis" },
  {
    kind: "tokengate-rate-limited-cluster",
    label: "tokengate, warm cache + rate limit in Redis (Cluster, 3 masters + 3 replicas)",
  },
];

const PEERS: ReadonlyArray<{ kind: ContenderKind; framework: Framework; label: string }> = [
  { kind: "hono-bearer-auth", framework: "hono", label: "hono/bearer-auth (static token)" },
  { kind: "passport-bearer", framework: "express", label: "passport-http-bearer (sha512 + Map)" },
  { kind: "better-auth-api-key", framework: "hono", label: "better-auth apiKey (memory adapter)" },
];

export const FRAMEWORKS: readonly Framework[] = ["hono", "express", "koa"];

export const CONTENDERS: readonly Contender[] = [
  ...FRAMEWORKS.flatMap((framework) =>
    OWN.map(({ kind, label }) => ({ id: `${framework}/${kind}`, kind, framework, label })),
  ),
  ...SCALE_OUT.map(({ kind, label }) => ({ id: `hono/${kind}`, kind, framework: "hono" as const, label })),
  ...PEERS.map(({ kind, framework, label }) => ({ id: `${framework}/${kind}`, kind, framework, label })),
];

/**
 * The settings a server process needs, passed as one JSON argument: its contender, and where the
 * stores and Redis are (the SQLite file is the one the tokengate and hand-written contenders read).
 */
export interface ServerSettings extends GateEnvironment {
  readonly contender: Contender;
}

/** What a server process tells the parent: that it listens (or cannot), and its CPU time when asked. */
export type ServerMessage =
  | { readonly type: "ready"; readonly port: number; readonly token: string }
  | { readonly type: "unavailable"; readonly reason: string }
  | { readonly type: "cpu"; readonly micros: number };
