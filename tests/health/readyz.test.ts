/**
 * Issue 14, part 3: the demo's probes, on each framework, as `tokengate serve` runs them over a real
 * PostgreSQL (reached through a TCP proxy this test stops and starts) and the shared Redis.
 * `/healthz` answers 200 while the process serves; `/readyz` answers 503 with `gate.health()` while
 * the store cannot be reached, and 200 again once it can.
 */
import { randomUUID } from "node:crypto";
import { type AddressInfo, connect, createServer, type Server, type Socket } from "node:net";
import { DEMO_FRAMEWORKS, type RunningDemo, startDemo } from "@tokengate/cli";
import { silentLogger } from "@tokengate/core";
import { describeWithServices, postgresUrl, redisUrl } from "@tokengate/test-support";
import Redis from "ioredis";
import pg from "pg";

/** A TCP proxy to PostgreSQL that can be cut (listener closed, every connection dropped) and restored. */
class StoreLink {
  #server: Server | undefined;
  readonly #sockets = new Set<Socket>();
  port = 0;

  async up(): Promise<void> {
    if (this.#server) return;
    const target = new URL(postgresUrl);
    const server = createServer((socket) => {
      const upstream = connect(Number(target.port || 5432), target.hostname);
      for (const s of [socket, upstream]) {
        this.#sockets.add(s);
        s.on("close", () => this.#sockets.delete(s));
        s.on("error", () => {});
      }
      socket.pipe(upstream).pipe(socket);
      socket.on("close", () => upstream.destroy());
      upstream.on("close", () => socket.destroy());
    });
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(this.port, "127.0.0.1", resolve);
    });
    this.port = (server.address() as AddressInfo).port;
    this.#server = server;
  }

  async down(): Promise<void> {
    const server = this.#server;
    this.#server = undefined;
    for (const socket of this.#sockets) socket.destroy();
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}

async function get(url: string): Promise<{ status: number; body: Record<string, unknown> }> {
  const res = await fetch(url);
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

/** Asks until `want` answers, within `ms`: the pool notices a dropped link on its next query. */
async function until(url: string, want: number, ms = 10_000) {
  const deadline = Date.now() + ms;
  let last = await get(url);
  while (last.status !== want && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 100));
    last = await get(url);
  }
  return last;
}

describeWithServices(["postgres", "redis"], "the demo's /healthz and /readyz over PostgreSQL", () => {
  const schema = `tg_readyz_${randomUUID().replaceAll("-", "").slice(0, 12)}`;
  const prefix = `tg-test:readyz:${randomUUID()}:`;
  const link = new StoreLink();
  const demos: RunningDemo[] = [];

  beforeAll(async () => {
    await link.up();
    const storeUrl = `postgres://postgres@127.0.0.1:${link.port}/${new URL(postgresUrl).pathname.slice(1)}?schema=${schema}`;
    for (const framework of DEMO_FRAMEWORKS) {
      // Started one after the other: the first creates the schema the others then find.
      demos.push(
        await startDemo({
          framework,
          host: "127.0.0.1",
          port: 0,
          storeUrl,
          redisUrl: `${redisUrl}?keyPrefix=${encodeURIComponent(prefix)}`,
          baseDir: process.cwd(),
          logger: silentLogger,
        }),
      );
    }
  }, 30_000);

  afterAll(async () => {
    await link.up();
    await Promise.all(demos.map((demo) => demo.close()));
    await link.down();
    const client = new pg.Client({ connectionString: postgresUrl });
    await client.connect();
    await client.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
    await client.end();
    const redis = new Redis(redisUrl);
    const keys = await redis.keys(`${prefix}*`);
    if (keys.length) await redis.unlink(...keys);
    redis.disconnect();
  });

  it("turns /readyz 503 when the store goes away and 200 when it returns; /healthz stays 200", async () => {
    for (const demo of demos) {
      const ready = await until(`${demo.url}/readyz`, 200);
      expect(ready).toEqual({
        status: 200,
        body: {
          status: "up",
          components: {
            store: { status: "up" },
            cache: { status: "up" },
            invalidation: { status: "up" },
            // The demo limits failed attempts per address in Redis: up.
            limiter: { status: "up" },
          },
        },
      });
      expect(await get(`${demo.url}/healthz`)).toEqual({ status: 200, body: { status: "up" } });
    }

    await link.down();
    for (const demo of demos) {
      const refused = await until(`${demo.url}/readyz`, 503);
      expect(refused.status).toBe(503);
      expect(refused.body).toMatchObject({
        status: "down",
        components: {
          store: { status: "down", reason: expect.stringMatching(/token store \(postgres\)/) },
        },
      });
      // The reason is ours: no connection string, no driver message.
      expect(JSON.stringify(refused.body)).not.toMatch(/127\.0\.0\.1|ECONNREFUSED|postgres:\/\//);
      expect(await get(`${demo.url}/healthz`)).toEqual({ status: 200, body: { status: "up" } });
    }

    await link.up();
    for (const demo of demos) {
      const back = await until(`${demo.url}/readyz`, 200);
      expect(back.status).toBe(200);
      expect(back.body).toMatchObject({ components: { store: { status: "up" } } });
    }
  }, 60_000);
});
