/**
 * The three scale-out checks of issue 16, written once and run on each topology (`cluster.test.ts`,
 * `sentinel.test.ts`): the 3-process revocation test, exact rate limits across 3 instances, and a
 * master SIGKILLed under load. A topology file calls `describeScaleOut`, which starts its servers
 * and app processes once and runs these in order (the failover last: it leaves a master dead).
 *
 * All times are this test process's `performance.now()`, as in `tests/revocation/request-loops.ts`.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { resolve } from "node:path";
import { performance } from "node:perf_hooks";
import { sha512Digester } from "@tokengate/core";
import { ask, describeWithServices, type RedisNode } from "@tokengate/test-support";
import { startLimitedApp, stopLimitedApps } from "../rate-limit/limited-apps";
import {
  type AppProcess,
  createToken,
  type Fleet,
  type FleetRedis,
  healthOf,
  REPO_ROOT,
  revokeToken,
  send,
  startFleet,
  USER_ID,
  untilDegraded,
} from "../revocation/app-fleet";
import {
  DISTRIBUTION_HEADER,
  distributionRow,
  type Exchange,
  type InstanceOutcome,
  outcomeOf,
  type RequestLoops,
  revokeUnderLoad,
  revokeWhileLoaded,
  startLoops,
} from "../revocation/request-loops";

const sleep = (ms: number) => new Promise((done) => setTimeout(done, ms));

/** What a topology file says about itself; `describeScaleOut` does the rest. */
export interface ScaleOutSuite<R extends FleetRedis> {
  /** "Redis Cluster", "Redis Sentinel": in the suite's name and the reports' file names. */
  readonly topology: string;
  /** What it is made of, for the suite's name: "3 masters, 3 replicas". */
  readonly shape: string;
  /** The fleet's PostgreSQL schema and Redis key prefix, the process id in both. */
  readonly schema: string;
  readonly prefix: string;
  /** Starts the topology; the fleet stops it. */
  start(): Promise<R>;
  /** The one token of the exact-limits check, a different one per topology. */
  readonly limitsToken: string;
  /** The failover check, last: its title and its body (it leaves a master dead). */
  readonly failover: readonly [title: string, run: (fleet: Fleet<R>) => Promise<void>];
}

/**
 * The scale-out suite on one topology: one fleet (three app processes, rate limits on, caches
 * healthy before the first check), then the revocation trials, the exact limits and the failover.
 */
export function describeScaleOut<R extends FleetRedis>(suite: ScaleOutSuite<R>): void {
  const { topology, prefix } = suite;
  describeWithServices(["postgres", "redis-topologies"], `scale-out on ${topology} (${suite.shape})`, () => {
    let fleet: Fleet<R> | undefined;

    beforeAll(async () => {
      fleet = await startFleet({
        schema: suite.schema,
        redisPrefix: prefix,
        redis: () => suite.start(),
        // Far above the load: the limiter is there to be consulted (fail-closed), not to refuse.
        rateLimit: 10_000_000,
        healthyWithinMs: 15_000,
      });
    }, 60_000);

    afterAll(async () => {
      const codes = await fleet?.stop();
      expect(codes).toEqual(fleet?.apps.map(() => 0));
    }, 30_000);

    it("3 processes: no request sent after the DELETE's answer is accepted (12 trials)", async () => {
      await revocationTrials(topology, fleet!.apps, 12);
    }, 60_000);

    it("3 processes: 500 requests over a limit of 173 admit exactly 173", async () => {
      await limitsAcrossThree(
        topology,
        fleet!.redis.url,
        { prefix: `${prefix}limits:`, token: suite.limitsToken, limit: 173 },
        500,
      );
    }, 60_000);

    const [title, run] = suite.failover;
    it(title, () => run(fleet!), 90_000);
  });
}

/** Writes a report to test-results/ and prints it. */
export function report(file: string, lines: readonly string[]): void {
  const text = lines.join("\n");
  console.log(text);
  mkdirSync(resolve(REPO_ROOT, "test-results"), { recursive: true });
  writeFileSync(resolve(REPO_ROOT, "test-results", file), `${text}\n`);
}

// ---- 1. revocation across three processes ------------------------------------------------------

/**
 * The propagation test of `tests/revocation/propagation.test.ts` on a topology: `trials` revocations,
 * the revoker rotating, loops at every instance through each DELETE; no request sent after the 204
 * may be accepted. Also checks the caches stayed healthy (not passing by reading the store only).
 */
export async function revocationTrials(topology: string, apps: readonly AppProcess[], trials: number) {
  const outcomes: Array<InstanceOutcome & { trial: number; instance: string }> = [];
  const answerMs: number[] = [];
  for (let trial = 0; trial < trials; trial++) {
    const { answer, deleteSentAt, t0, exchanges } = await revokeUnderLoad(apps, trial);
    answerMs.push(t0 - deleteSentAt);
    expect(`${answer.status} ${answer.body}`).toBe("204 ");
    apps.forEach((app, i) => {
      outcomes.push({ ...outcomeOf(exchanges[i]!, deleteSentAt, t0, 0), trial, instance: app.framework });
    });
  }
  const health = await Promise.all(apps.map(healthOf));
  const sentAfter = outcomes.reduce((n, o) => n + o.sentAfterBound, 0);
  const acceptedAfter = outcomes.reduce((n, o) => n + o.acceptedAfterBound, 0);
  report(`scale-out-revocation-${topology.toLowerCase().replace(/\W+/g, "-")}.md`, [
    `Revocation across 3 app processes on ${topology} (tiered cache, PostgreSQL store): ${trials} trials x 3 instances`,
    "",
    DISTRIBUTION_HEADER,
    distributionRow(
      "first refusal for good - t0 (< 0: before the 204)",
      outcomes.map((o) => o.cutoverAfterAnswerMs),
    ),
    distributionRow("DELETE round trip (sent to 204)", answerMs),
    "",
    `requests sent after the 204: ${sentAfter}, of which accepted: ${acceptedAfter}`,
  ]);

  expect(
    outcomes.filter((o) => o.acceptedAfterBound > 0).map((o) => `trial ${o.trial} ${o.instance}`),
  ).toEqual([]);
  for (const o of outcomes) {
    expect(o.sentAfterBound).toBeGreaterThan(0);
    expect(o.accepted).toBeGreaterThan(0);
    expect([...o.statuses].filter((s) => s !== 200 && s !== 401)).toEqual([]);
  }
  // Not vacuous: the caches worked through the topology all along, none fell back to the store.
  expect(health.map((h) => h.degraded)).toEqual(apps.map(() => false));
  for (const app of apps) expect(app.stderr()).not.toMatch(/did not confirm|unavailable/);
}

// ---- 2. exact rate limits across three processes -----------------------------------------------

/** Starts 3 `limited-app` processes on `redisUrl`, runs `exactLimits` through them, stops them. */
export async function limitsAcrossThree(
  topology: string,
  redisUrl: string,
  env: { prefix: string; token: string; limit: number },
  requests: number,
): Promise<void> {
  const startedAt = performance.now();
  const apps = await Promise.all([0, 1, 2].map(() => startLimitedApp(redisUrl, env)));
  console.log(
    `${topology}: 3 limited-app processes ready in ${(performance.now() - startedAt).toFixed(0)} ms`,
  );
  try {
    await exactLimits(topology, apps, env.token, requests, env.limit);
  } finally {
    await stopLimitedApps(apps);
  }
}

/**
 * N requests, round-robin over the instances, `inFlight` at a time, against a limit of L: exactly L
 * get through. A bounded burst rather than all N at once: on a loaded 2-core machine N concurrent
 * scripts can outlast the limiter's 500 ms timeout, and a fail-closed 503 is not what is under test.
 */
export async function exactLimits(
  topology: string,
  apps: ReadonlyArray<{ port: number }>,
  token: string,
  requests: number,
  limit: number,
  inFlight = 30,
): Promise<void> {
  const startedAt = performance.now();
  const responses: Response[] = [];
  let next = 0;
  const worker = async () => {
    while (next < requests) {
      const i = next++;
      responses[i] = await fetch(`http://127.0.0.1:${apps[i % apps.length]!.port}/me`, {
        headers: { authorization: `Bearer ${token}` },
      });
    }
  };
  await Promise.all(Array.from({ length: inFlight }, worker));
  const tookMs = performance.now() - startedAt;
  const statuses: Record<number, number> = {};
  for (const r of responses) statuses[r.status] = (statuses[r.status] ?? 0) + 1;
  const ok = responses.filter((r) => r.status === 200);
  const remaining = ok
    .map((r) => Number(/r=(\d+)/.exec(r.headers.get("ratelimit") ?? "")?.[1]))
    .sort((a, b) => a - b);
  const pids = new Set(await Promise.all(ok.map(async (r) => ((await r.json()) as { pid: number }).pid)));
  for (const r of responses.filter((r) => r.status !== 200)) await r.body?.cancel();
  report(`scale-out-rate-limit-${topology.toLowerCase().replace(/\W+/g, "-")}.md`, [
    `Rate limit on ${topology}: ${requests} requests (${inFlight} in flight) over ${apps.length} instances, limit ${limit}: ${JSON.stringify(statuses)}, admitted by ${pids.size} processes, in ${tookMs.toFixed(0)} ms`,
  ]);
  expect(statuses).toEqual({ 200: limit, 429: requests - limit });
  // Each admitted request saw its own count: the check and the count are one atomic step.
  expect(remaining).toEqual(Array.from({ length: limit }, (_, i) => i));
  expect(pids.size).toBe(apps.length);
}

// ---- 3. failover under load --------------------------------------------------------------------

/** A token made for the failover test, with its digest (the cache keys name it). */
export interface HotToken {
  readonly id: number;
  readonly token: string;
  readonly digest: string;
}

/** Which tokens play which part, and the master to kill. */
export interface FailoverPlan {
  readonly valid: HotToken;
  readonly revoked: HotToken;
  /** What is killed and why, for the report. */
  readonly description: string;
  /** The master to kill, and its replica that will be promoted. */
  readonly master: RedisNode;
  readonly replica: RedisNode;
  /** Resolves when the topology itself has promoted a replica (cluster_state:ok, sentinel switch). */
  promoted(timeoutMs: number): Promise<void>;
}

export interface FailoverCounts {
  readonly revokedAccepted: number;
  readonly failOpen: number;
  readonly non503Errors: number;
  readonly connectionFailures: number;
  readonly unavailable: number;
  readonly windowMs: number;
}

function replicationOffset(info: string, field: string): number {
  const value = new RegExp(`^${field}:(\\d+)`, "m").exec(info)?.[1];
  if (value === undefined) throw new Error(`no ${field} in INFO replication`);
  return Number(value);
}

/** Until every instance answered the valid token with 200 `streak` times in a row after `t`. */
async function untilServing(loads: readonly RequestLoops[], t: number, streak: number, timeoutMs: number) {
  const deadline = performance.now() + timeoutMs;
  const serving = () =>
    loads.every(({ seen }) => {
      const after = seen.filter((s) => s.sentAt > t);
      return after.length >= streak && after.slice(-streak).every((s) => s.status === 200);
    });
  while (!serving()) {
    if (performance.now() > deadline)
      throw new Error(`the instances did not serve again within ${timeoutMs} ms`);
    await sleep(20);
  }
}

/**
 * Three instances serve a steady load with a valid token, a revoked one and an unknown one; the
 * token is revoked while the replica that will take over is frozen (so it never sees the
 * revocation), then the master is SIGKILLed. Counts revoked tokens accepted, fail-open answers (an unknown token
 * accepted, or a 200 that skipped the rate limit), 5xx other than 503, and the 503 window: from
 * the kill to the last 503 of the valid token, i.e. until the promoted replica serves. Then a second
 * revocation shows invalidation reaches every instance on the new topology.
 */
export async function failoverUnderLoad(
  topology: string,
  apps: readonly AppProcess[],
  candidates: number,
  plan: (tokens: readonly HotToken[]) => Promise<FailoverPlan>,
): Promise<FailoverCounts> {
  const tokens: HotToken[] = [];
  for (let i = 0; i < candidates; i++) {
    const made = await createToken(apps[i % apps.length]!, USER_ID, `failover ${i}`);
    tokens.push({ ...made, digest: sha512Digester.digest(made.token) });
  }
  // Every token cached in Redis and counted by the limiter, on every instance.
  for (const app of apps) {
    for (const { token } of tokens) {
      const res = await send(app.agent, app.port, "GET", "/me", { authorization: `Bearer ${token}` });
      expect(res.status).toBe(200);
    }
  }
  const target = await plan(tokens);
  const { valid, revoked } = target;
  const unknown = "api_failoverunknown0";
  // A steady load, not a flood (5 ms between requests): the 2-core machine also runs the servers
  // and the failover. A failed connection is recorded as status 0 and counted: the instance must
  // stay up through the failover.
  const validLoads = apps.map((app) => startLoops(app, valid.token, 2, 5));
  const revokedLoads = apps.map((app) => startLoops(app, revoked.token, 1, 5));
  const unknownLoads = apps.map((app) => startLoops(app, unknown, 1, 5));
  const all = [...validLoads, ...revokedLoads, ...unknownLoads];
  await sleep(300);
  // The revocation reaches the master and every instance, but not the replica about to take over,
  // as when a master dies before replicating its last writes: the replica is frozen (well under the
  // failure-detection times, so it is not counted as failed) and its link cut, so nothing written
  // from now on even sits in its socket buffer. The promoted replica still caches the revoked token.
  const { master, replica } = target;
  replica.pause();
  let revokeAnswer: Awaited<ReturnType<typeof revokeToken>>;
  let t0: number;
  let killedAt: number;
  let masterOffset: number;
  try {
    await ask(master.port, "CLIENT", "KILL", "TYPE", "replica");
    revokeAnswer = await revokeToken(apps[2]!, revoked.id);
    t0 = performance.now();
    masterOffset = replicationOffset(
      String(await ask(master.port, "INFO", "replication")),
      "master_repl_offset",
    );
    killedAt = performance.now();
    await master.kill();
  } finally {
    replica.resume();
  }
  // Read before the promotion (at least the failure-detection time away): what it had replicated.
  const replicaOffset = replicationOffset(
    String(await ask(replica.port, "INFO", "replication")),
    "slave_repl_offset",
  );
  expect(revokeAnswer.status).toBe(204);
  await target.promoted(30_000);
  const promotedAt = performance.now();
  await untilServing(validLoads, killedAt, 20, 30_000);
  const servingAt = performance.now();
  await untilDegraded(apps, false, 15_000);
  const healthyAt = performance.now();
  await sleep(300);
  const seen = await Promise.all(all.map((l) => l.stop()));
  const [validSeen, revokedSeen, unknownSeen] = [seen.slice(0, 3), seen.slice(3, 6), seen.slice(6, 9)];

  // Invalidation on the promoted topology: the valid token revoked now is refused at once everywhere.
  const {
    answer: secondAnswer,
    deleteSentAt: secondSentAt,
    t0: secondT0,
    exchanges: secondExchanges,
  } = await revokeWhileLoaded(apps, apps[0]!, valid);
  const secondOutcomes = secondExchanges.map((ex) => outcomeOf(ex, secondSentAt, secondT0, 0));

  const flat = seen.flat();
  const windows = validSeen.map((s) => {
    const unavailable = s.filter((e) => e.status === 503 && e.receivedAt > killedAt);
    return unavailable.length === 0 ? 0 : unavailable.at(-1)!.receivedAt - killedAt;
  });
  const counts: FailoverCounts = {
    revokedAccepted: revokedSeen.flat().filter((e) => e.sentAt > t0 && e.status === 200).length,
    failOpen:
      unknownSeen.flat().filter((e) => e.status === 200).length +
      validSeen.flat().filter((e) => e.status === 200 && !e.limited).length,
    non503Errors: flat.filter((e) => e.status >= 500 && e.status !== 503).length,
    connectionFailures: flat.filter((e) => e.status === 0).length,
    unavailable: validSeen.flat().filter((e) => e.status === 503).length,
    windowMs: Math.max(...windows),
  };
  const statusesOf = (list: readonly Exchange[]) => {
    const out: Record<number, number> = {};
    for (const e of list) out[e.status] = (out[e.status] ?? 0) + 1;
    return JSON.stringify(out);
  };
  report(`scale-out-failover-${topology.toLowerCase().replace(/\W+/g, "-")}.md`, [
    `Failover under load on ${topology}: SIGKILL ${target.description}, right after a revocation its frozen replica never saw; 3 instances (hono, express, koa), rate limiter fail-closed`,
    "",
    "| topology | requests | revoked accepted | fail-open | 5xx other than 503 | connection failures | 503s | 503 window (ms) | promoted after (ms) | all caches healthy after (ms) |",
    "|---|---|---|---|---|---|---|---|---|---|",
    `| ${topology} | ${flat.length} | ${counts.revokedAccepted} | ${counts.failOpen} | ${counts.non503Errors} | ${counts.connectionFailures} | ${counts.unavailable} | ${counts.windowMs.toFixed(0)} | ${(promotedAt - killedAt).toFixed(0)} | ${(healthyAt - killedAt).toFixed(0)} |`,
    "",
    ...apps.map(
      (app, i) =>
        `${app.framework}: valid ${statusesOf(validSeen[i]!)} (503 window ${windows[i]!.toFixed(0)} ms), revoked ${statusesOf(revokedSeen[i]!)}, unknown ${statusesOf(unknownSeen[i]!)}`,
    ),
    `the promoted replica had missed the last ${masterOffset - replicaOffset} bytes of the master's replication stream (the revocation among them)`,
    `serving again (20 x 200 in a row on every instance) ${(servingAt - killedAt).toFixed(0)} ms after the kill`,
    `revocation after the failover: ${secondAnswer.status} in ${(secondT0 - secondSentAt).toFixed(1)} ms; accepted after its answer: ${secondOutcomes.reduce((n, o) => n + o.acceptedAfterBound, 0)}`,
  ]);

  // Not vacuous: the replica that took over never saw the revocation's writes.
  expect(masterOffset - replicaOffset).toBeGreaterThan(0);
  expect(counts.revokedAccepted).toBe(0);
  expect(counts.failOpen).toBe(0);
  expect(counts.non503Errors).toBe(0);
  expect(counts.connectionFailures).toBe(0);
  // A failing dependency is a 503, never a 401: the valid token is only ever 200 or 503.
  expect(validSeen.flat().filter((e) => e.status !== 200 && e.status !== 503)).toEqual([]);
  expect(secondAnswer.status).toBe(204);
  for (const o of secondOutcomes) {
    expect(o.sentAfterBound).toBeGreaterThan(0);
    expect(o.acceptedAfterBound).toBe(0);
  }
  return counts;
}
