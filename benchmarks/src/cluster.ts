/**
 * The Redis Cluster for the benchmark's cluster rows (issue 16): 3 masters and 3 replicas on free
 * loopback ports, started by `startCluster` from `@tokengate/test-support/topologies`, the one the
 * scale-out tests use. This file only says whether the cluster could start: the benchmark prints
 * "unavailable" rows instead of failing. It never fails over, so its node timeout is longer than
 * the tests' (a loaded 2-core machine must not fail over by itself mid-row).
 *
 * The hook in main.ts: before the HTTP rows,
 *   const cluster = await startBenchCluster();        // { url } or { unavailable }
 *   if ("url" in cluster) env = { ...env, redisClusterUrl: cluster.url };
 *   else log(`Redis Cluster unavailable: ${cluster.unavailable}`);
 * and `await cluster.stop?.()` once the servers are stopped. A fresh cluster each run, so no keys to
 * clean up.
 */
import { startCluster } from "@tokengate/test-support/topologies";

/** `cluster-node-timeout` for the benchmark: only a dead master should be failed over, and none is. */
const BENCH_NODE_TIMEOUT_MS = 5000;

export type BenchCluster =
  | { readonly url: string; stop(): Promise<void> }
  | { readonly unavailable: string; stop?: undefined };

/** Starts the cluster, or says why it cannot (no binaries, a start that failed). */
export async function startBenchCluster(): Promise<BenchCluster> {
  try {
    const cluster = await startCluster({ nodeTimeoutMs: BENCH_NODE_TIMEOUT_MS });
    return { url: cluster.url, stop: () => cluster.stop() };
  } catch (error) {
    return { unavailable: error instanceof Error ? error.message : String(error) };
  }
}
