/**
 * Issue 16 on Redis Sentinel (1 master, 1 replica, 3 sentinels, started by this file from the
 * binaries on PATH): the 3-process revocation test, exact rate limits across 3 instances, and the
 * Sentinel master SIGKILLed under load. The suite and its scenarios are in `scenarios.ts`, shared
 * with Cluster; this file says how to start the group and which master to kill.
 */

import { startSentinelGroup } from "@tokengate/test-support";
import { describeScaleOut, failoverUnderLoad } from "./scenarios";

const TOPOLOGY = "Redis Sentinel";

describeScaleOut({
  topology: TOPOLOGY,
  shape: "1 master, 1 replica, 3 sentinels",
  schema: `tg_scale_sentinel_${process.pid}`,
  prefix: `tgs${process.pid}:`,
  start: () => startSentinelGroup(),
  limitsToken: "api_sentinellimit001",
  failover: [
    "SIGKILL of the Sentinel master under load: 0 revoked accepted, 0 fail-open, 0 non-503 5xx",
    async ({ apps, redis: group }) => {
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
    },
  ],
});
