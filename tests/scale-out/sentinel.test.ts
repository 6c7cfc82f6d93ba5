/**
 * Issue 16 on Redis Sentinel (1 master, 1 replica, 3 sentinels, started by this file from the
 * binaries on PATH): the 3-process revocation test, exact rate limits across 3 instances, and the
 * Sentinel master SIGKILLed under load. The scenarios are in `scenarios.ts`, shared with Cluster.
 */

import { describeWithServices, type SentinelTopology, startSentinelGroup } from "@tokengate/test-support";
import { type Fleet, startFleet } from "../revocation/app-fleet";
import { failoverUnderLoad, limitsAcrossThree, revocationTrials } from "./scenarios";

const TOPOLOGY = "Redis Sentinel";

describeWithServices(
  ["postgres", "redis-topologies"],
  `scale-out on ${TOPOLOGY} (1 master, 1 replica, 3 sentinels)`,
  () => {
    const prefix = `tgs${process.pid}:`;
    let fleet: Fleet<SentinelTopology> | undefined;

    beforeAll(async () => {
      fleet = await startFleet({
        schema: `tg_scale_sentinel_${process.pid}`,
        redisPrefix: prefix,
        redis: () => startSentinelGroup(),
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
      await revocationTrials(TOPOLOGY, fleet!.apps, 12);
    }, 60_000);

    it("3 processes: 500 requests over a limit of 173 admit exactly 173", async () => {
      await limitsAcrossThree(
        TOPOLOGY,
        fleet!.redis.url,
        { prefix: `${prefix}limits:`, token: "api_sentinellimit001", limit: 173 },
        500,
      );
    }, 60_000);

    it("SIGKILL of the Sentinel master under load: 0 revoked accepted, 0 fail-open, 0 non-503 5xx", async () => {
      const { apps, redis: group } = fleet!;
      const masterPort = await group.currentMasterPort();
      const [master, replica] =
        group.master.port === masterPort ? [group.master, group.replica] : [group.replica, group.master];
      const counts = await failoverUnderLoad(TOPOLOGY, apps, 2, async ([valid, revoked]) => ({
        valid: valid!,
        revoked: revoked!,
        description: `the master on port ${master.port}`,
        master,
        replica,
        promoted: (timeoutMs) => group.untilMasterIsNot(master.port, timeoutMs),
      }));
      // Generous: down-after 1 s, then the election and promotion, then the clients ask again.
      expect(counts.windowMs).toBeLessThan(15_000);
    }, 90_000);
  },
);
