/**
 * The one case the 0 ms bound of propagation.test.ts does not cover: an instance that does not
 * acknowledge the invalidation within the cache's `ackTimeoutMs` (1 s by default). Here a whole app
 * process is frozen with SIGSTOP, as a long GC pause, a CPU-starved container or a suspended VM
 * would freeze it, while its LRU holds the token. The revoker waits for it up to the timeout, logs
 * that an instance did not confirm, and answers 204 all the same.
 *
 * Before the fix, `RedisInvalidationChannel.publish` resolved after the ack timeout, the revoker
 * answered 204, and in about a third of the trials the woken instance answered 200 from its LRU to a
 * request sent after the 204 on an already-open keep-alive connection. Now a missing ack fails the
 * invalidation: the revoker answers 503 ("stored, but not yet confirmed everywhere"), so a 204
 * always means every listening instance has dropped the token.
 */
import { Agent } from "node:http";
import { performance } from "node:perf_hooks";
import { describeWithServices } from "@tokengate/test-support";
import {
  createToken,
  type Fleet,
  type FleetRedis,
  type HttpResult,
  revokeToken,
  send,
  sharedRedis,
  startFleet,
  USER_ID,
} from "./app-fleet";

/** Each trial waits out the 1 s ack timeout; one trial shows the failure about a third of the time. */
const TRIALS = 8;
/** The tiered cache's default `ackTimeoutMs`, which the app processes keep. */
const ACK_TIMEOUT_MS = 1000;

describeWithServices(["redis", "postgres"], "revocation while one instance is frozen (SIGSTOP)", () => {
  let fleet: Fleet<FleetRedis> | undefined;

  beforeAll(async () => {
    fleet = await startFleet({
      schema: `tg_revocation_stall_${process.pid}`,
      redisPrefix: `tg-revocation-stall-${process.pid}:`,
      redis: sharedRedis,
    });
  }, 30_000);

  afterAll(async () => {
    // `stop()` wakes a still-frozen instance first; then each must exit 0 on SIGTERM.
    const codes = await fleet?.stop();
    expect(codes).toEqual(fleet?.apps.map(() => 0));
  });

  it("a token revoked while an instance is frozen is refused by it after it wakes, for requests sent after the 204", async () => {
    const { apps } = fleet!;
    const violations: string[] = [];
    for (let trial = 0; trial < TRIALS; trial++) {
      const revoker = apps[trial % apps.length]!;
      const frozen = apps[(trial + 1) % apps.length]!;
      const { id, token } = await createToken(revoker, USER_ID, `frozen trial ${trial}`);
      const bearer = { authorization: `Bearer ${token}` };
      for (const app of apps) {
        expect((await send(app.agent, app.port, "GET", "/me", bearer)).status).toBe(200);
      }
      // Served from its LRU now: exactly the entry that must not survive.
      expect((await send(frozen.agent, frozen.port, "GET", "/me", bearer)).status).toBe(200);

      frozen.signal("SIGSTOP");
      const deleteSentAt = performance.now();
      let answer: HttpResult;
      let queued: Array<Promise<HttpResult>>;
      try {
        answer = await revokeToken(revoker, id);
        // Sent after the answer, on the connection already open and on two new ones.
        queued = [frozen.agent, new Agent(), new Agent()].map((agent) =>
          send(agent, frozen.port, "GET", "/me", bearer),
        );
      } finally {
        frozen.signal("SIGCONT");
      }
      const waited = performance.now() - deleteSentAt;

      // The revoker did wait for the frozen instance, up to the ack timeout.
      expect(waited).toBeGreaterThanOrEqual(ACK_TIMEOUT_MS * 0.9);
      // Never a 204 it cannot back up: the frozen instance did not confirm.
      expect(answer.status).toBe(503);
      const statuses = (await Promise.all(queued)).map((r) => r.status);
      if (answer.status === 204 && statuses.includes(200)) {
        violations.push(
          `trial ${trial}: ${frozen.framework} (revoked via ${revoker.framework}) answered [${statuses}] after a 204`,
        );
      }
      // Once awake and caught up, every instance refuses it.
      for (const app of apps) {
        expect((await send(app.agent, app.port, "GET", "/me", bearer)).status).toBe(401);
      }
    }
    expect(apps.map((app) => app.stderr()).join("")).toMatch(
      /some instances did not confirm an invalidation in time/,
    );
    expect(violations).toEqual([]);
  }, 30_000);
});
