/**
 * Issue 16 on Redis Cluster (3 masters, 3 replicas, started by this file from the binaries on PATH):
 * the 3-process revocation test, exact rate limits across 3 instances, and the master that owns the
 * hot token's slot SIGKILLed under load. The suite and its scenarios are in `scenarios.ts`, shared
 * with Sentinel; this file says how to start the cluster and which master to kill.
 */

import { startCluster } from "@tokengate/test-support";
import { describeScaleOut, failoverUnderLoad } from "./scenarios";

const TOPOLOGY = "Redis Cluster";
const prefix = `tgc${process.pid}:`;

describeScaleOut({
  topology: TOPOLOGY,
  shape: "3 masters, 3 replicas",
  schema: `tg_scale_cluster_${process.pid}`,
  prefix,
  start: () => startCluster(),
  limitsToken: "api_clusterlimits001",
  failover: [
    "SIGKILL of the master owning the hot token's slot under load: 0 revoked accepted, 0 fail-open, 0 non-503 5xx",
    async ({ apps, redis: cluster }) => {
      const counts = await failoverUnderLoad(TOPOLOGY, apps, 10, async (tokens) => {
        // Where each token's keys live: its rate-limit state (found by its usage hash, which shares
        // the slot of its windows and, unlike them, outlives a limit never approached), and its
        // cached credential.
        const where = await Promise.all(
          tokens.map(async (t) => ({
            token: t,
            limits: await cluster.mastersHolding(`*${prefix}*usage:${t.id}`),
            cached: await cluster.mastersHolding(`*${t.digest}*`),
          })),
        );
        for (const w of where) {
          if (w.limits.length !== 1 || w.cached.length !== 1)
            throw new Error(
              `token ${w.token.id}: limits on ${w.limits.length} masters, credential on ${w.cached.length}`,
            );
        }
        // The hot pair: a valid token whose limits live on the master that caches the revoked one,
        // so killing that master both cuts the limiter (the 503 window) and brings up a replica that
        // never saw the revocation. Found among the candidates; the slots are spread 3 ways.
        const pair = where
          .flatMap((v) => where.filter((r) => r !== v).map((r) => ({ v, r })))
          .find(({ v, r }) => v.limits[0] === r.cached[0]);
        if (!pair) throw new Error("no candidate pair shares a master; make more candidates");
        const master = pair.r.cached[0]!;
        const replica = await cluster.replicaOf(master);
        return {
          valid: pair.v.token,
          revoked: pair.r.token,
          description: `the master on port ${master.port}, owning the valid token's rate-limit slot and the revoked token's cached credential`,
          master,
          replica,
          promoted: (timeoutMs) => cluster.untilPromotedOver(master, timeoutMs),
        };
      });
      // Generous: node timeout 1.5 s, election within ~1 s, then the clients refresh their slot map.
      expect(counts.windowMs).toBeLessThan(15_000);
    },
  ],
});
