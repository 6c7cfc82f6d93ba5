/**
 * Two app processes, one Redis: the limit holds exactly across instances under a burst of
 * parallel requests, and each allowed request saw a distinct `remaining`.
 */
import type { ChildProcess } from "node:child_process";
import { describeWithServices, redisUrl } from "@tokengate/test-support";
import { Redis } from "ioredis";
import { startLimitedApp, stopLimitedApps } from "./limited-apps";

const PREFIX = `tg-test:rate-limit-procs:${process.pid}:${Date.now()}:`;
const TOKEN = "api_twoprocesses0001";
const LIMIT = 173;

const startApp = () => startLimitedApp(redisUrl, { prefix: PREFIX, token: TOKEN, limit: LIMIT });

describeWithServices(["redis"], "rate limits across two app processes sharing Redis", () => {
  const apps: Array<{ child: ChildProcess; port: number }> = [];

  beforeAll(async () => {
    apps.push(...(await Promise.all([startApp(), startApp()])));
  }, 60_000);

  afterAll(async () => {
    await stopLimitedApps(apps);
    const redis = new Redis(redisUrl);
    const keys = await redis.keys(`${PREFIX}*`); // this file's few keys only
    if (keys.length > 0) await redis.del(...keys);
    redis.disconnect();
  });

  it("lets exactly the limit through, split over both processes, and refuses the rest with 429", async () => {
    const responses = await Promise.all(
      Array.from({ length: 500 }, (_, i) =>
        fetch(`http://127.0.0.1:${apps[i % 2]!.port}/me`, {
          headers: { authorization: `Bearer ${TOKEN}` },
        }),
      ),
    );
    const ok = responses.filter((r) => r.status === 200);
    const limited = responses.filter((r) => r.status === 429);
    expect(ok).toHaveLength(LIMIT);
    expect(limited).toHaveLength(500 - LIMIT);

    const remaining = ok
      .map((r) => Number(/r=(\d+)/.exec(r.headers.get("ratelimit") ?? "")?.[1]))
      .sort((a, b) => a - b);
    expect(remaining).toEqual(Array.from({ length: LIMIT }, (_, i) => i));
    const pids = new Set(await Promise.all(ok.map(async (r) => ((await r.json()) as { pid: number }).pid)));
    expect(pids.size).toBe(2);
    for (const r of limited) {
      expect(r.headers.get("retry-after")).toBe("1");
      expect(r.headers.get("ratelimit")).toBe('"minute";r=0;t=60');
      await r.body?.cancel();
    }
  }, 60_000);
});
