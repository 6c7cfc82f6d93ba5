/**
 * Issue 16 on Redis Sentinel (1 master, 1 replica, 3 sentinels, started by this file from the
 * binaries on PATH): the 3-process revocation test, exact rate limits across 3 instances, and the
 * Sentinel master SIGKILLed under load. The scenarios are in `scenarios.ts`, shared with Cluster.
 */

import { migrate, PostgresDirectory } from "@tokengate/postgres";
import { describeWithServices, postgresUrl } from "@tokengate/test-support";
import { Pool } from "pg";
import { type AppProcess, FRAMEWORKS, killAllChildren, startApp } from "../revocation/app-fleet";
import { failoverUnderLoad, limitsAcrossThree, revocationTrials, USER_ID, untilDegraded } from "./scenarios";
import { type SentinelTopology, startSentinelGroup } from "./topologies";

const TOPOLOGY = "Redis Sentinel";

describeWithServices(
  ["postgres", "redis-topologies"],
  `scale-out on ${TOPOLOGY} (1 master, 1 replica, 3 sentinels)`,
  () => {
    const schema = `tg_scale_sentinel_${process.pid}`;
    const prefix = `tgs${process.pid}:`;
    let pool: Pool | undefined;
    let group: SentinelTopology | undefined;
    let apps: AppProcess[] = [];

    beforeAll(async () => {
      pool = new Pool({ connectionString: postgresUrl, max: 2 });
      await migrate(pool, { schema });
      await new PostgresDirectory(pool, { schema }).upsertUser({
        id: USER_ID,
        name: "Ada",
        email: "ada@example.com",
        disabled: false,
      });
      group = await startSentinelGroup();
      apps = await Promise.all(
        FRAMEWORKS.map((framework) =>
          startApp(framework, {
            pgUrl: postgresUrl,
            pgSchema: schema,
            redisUrl: group!.url,
            redisPrefix: prefix,
            // Far above the load: the limiter is there to be consulted (fail-closed), not to refuse.
            rateLimit: 10_000_000,
          }),
        ),
      );
      await untilDegraded(apps, false, 15_000);
    }, 60_000);

    afterAll(async () => {
      const codes = await Promise.all(apps.map((app) => app.stop()));
      await killAllChildren();
      await group?.stop();
      if (pool) {
        await pool.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
        await pool.end();
      }
      expect(codes).toEqual(apps.map(() => 0));
    }, 30_000);

    it("3 processes: no request sent after the DELETE's answer is accepted (12 trials)", async () => {
      await revocationTrials(TOPOLOGY, apps, 12);
    }, 60_000);

    it("3 processes: 500 requests over a limit of 173 admit exactly 173", async () => {
      await limitsAcrossThree(
        TOPOLOGY,
        group!.url,
        { prefix: `${prefix}limits:`, token: "api_sentinellimit001", limit: 173 },
        500,
      );
    }, 60_000);

    it("SIGKILL of the Sentinel master under load: 0 revoked accepted, 0 fail-open, 0 non-503 5xx", async () => {
      const masterPort = await group!.currentMasterPort();
      const [master, replica] =
        group!.master.port === masterPort ? [group!.master, group!.replica] : [group!.replica, group!.master];
      const counts = await failoverUnderLoad(TOPOLOGY, apps, 2, async ([valid, revoked]) => ({
        valid: valid!,
        revoked: revoked!,
        description: `the master on port ${master.port}`,
        master,
        replica,
        promoted: (timeoutMs) => group!.untilMasterIsNot(master.port, timeoutMs),
      }));
      // Generous: down-after 1 s, then the election and promotion, then the clients ask again.
      expect(counts.windowMs).toBeLessThan(15_000);
    }, 90_000);
  },
);
