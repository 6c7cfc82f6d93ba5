/**
 * Issue 14, part 1: what an application with the OpenTelemetry SDK registered sees of tokengate.
 * Two instances (Express apps) share a store and Redis; a token is created, verified on both,
 * rotated, rate-limited and revoked through the admin router, and the SDK's in-memory exporters
 * must hold the spans and metrics of that walk — and nowhere the token or its digest.
 */
import { randomUUID } from "node:crypto";
import { metrics, trace } from "@opentelemetry/api";
import {
  AggregationTemporality,
  InMemoryMetricExporter,
  MeterProvider,
  PeriodicExportingMetricReader,
  type ResourceMetrics,
} from "@opentelemetry/sdk-metrics";
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  type ReadableSpan,
  SimpleSpanProcessor,
} from "@opentelemetry/sdk-trace-base";
import { type TieredCredentialCache, tieredCache } from "@tokengate/cache";
import {
  createTokenGate,
  MemoryDirectory,
  MemoryTokenStore,
  sha512Digester,
  silentLogger,
  type TokenGate,
} from "@tokengate/core";
import { tokenAdminRouter, tokengate } from "@tokengate/express";
import { MemoryLimitStore, redisTier, TokenRateLimiter } from "@tokengate/redis";
import { describeWithServices, redisUrl } from "@tokengate/test-support";
import express from "express";
import Redis from "ioredis";
import request from "supertest";

describeWithServices(["redis"], "OpenTelemetry: a create → verify → rotate → revoke walk", () => {
  const prefix = `tg-test:otel:${randomUUID()}:`;
  const spans = new InMemorySpanExporter();
  const tracerProvider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(spans)] });
  const metricExporter = new InMemoryMetricExporter(AggregationTemporality.CUMULATIVE);
  const reader = new PeriodicExportingMetricReader({
    exporter: metricExporter,
    exportIntervalMillis: 3_600_000,
  });
  const meterProvider = new MeterProvider({ readers: [reader] });
  const clients: Redis[] = [];
  const gates: TokenGate[] = [];

  beforeAll(() => {
    // The application's registration, before it builds the gate (see telemetry.ts on metrics).
    trace.setGlobalTracerProvider(tracerProvider);
    metrics.setGlobalMeterProvider(meterProvider);
  });

  afterAll(async () => {
    await Promise.all(gates.map((gate) => gate.close()));
    const admin = new Redis(redisUrl);
    const keys = await admin.keys(`${prefix}*`);
    if (keys.length) await admin.unlink(...keys);
    admin.disconnect();
    for (const client of clients) client.disconnect();
    await meterProvider.shutdown();
    await tracerProvider.shutdown();
    trace.disable();
    metrics.disable();
  });

  /** One instance: its own gate, cache and Express app over the shared store and Redis. */
  async function instance(store: MemoryTokenStore, directory: MemoryDirectory) {
    const client = new Redis(redisUrl, { lazyConnect: true });
    clients.push(client);
    const gate = createTokenGate({
      store,
      directory,
      cache: tieredCache({ shared: redisTier({ redis: client, prefix }), logger: silentLogger }),
      rateLimiter: new TokenRateLimiter({
        store: new MemoryLimitStore(),
        token: [{ name: "minute", limit: 3, windowSeconds: 60 }],
      }),
      usageFlushIntervalMs: false,
      logger: silentLogger,
    });
    gates.push(gate);
    await (gate.cache as TieredCredentialCache).whenHealthy();
    const app = express();
    app.use(
      "/api-tokens",
      tokenAdminRouter(gate, { getActor: (req) => ({ userId: Number(req.headers["x-user"]) }) }),
    );
    app.get("/me", tokengate(gate), (req, res) => {
      res.json({ tokenId: req.auth!.tokenId });
    });
    return { gate, app };
  }

  it("exports the spans and metrics of the walk, and never the token or its digest", async () => {
    const store = new MemoryTokenStore();
    const directory = new MemoryDirectory().upsertUser({ id: 1, disabled: false });
    const one = await instance(store, directory);
    const two = await instance(store, directory);
    const me = (app: express.Express, token: string) =>
      request(app).get("/me").set("authorization", `Bearer ${token}`);

    const created = await request(one.app)
      .post("/api-tokens")
      .set("x-user", "1")
      .send({ tokenName: "walk", expirationDate: "30d" });
    expect(created.status).toBe(201);
    const first: { id: number; token: string } = created.body;

    expect((await me(one.app, first.token)).status).toBe(200); // store (nothing cached yet)
    expect((await me(one.app, first.token)).status).toBe(200); // memory
    expect((await me(two.app, first.token)).status).toBe(200); // redis (instance one wrote it there)

    const rotated = await request(one.app).post(`/api-tokens/${first.id}/rotate`).set("x-user", "1").send({});
    expect(rotated.status).toBe(201);
    const second: { id: number; token: string } = rotated.body;
    expect((await me(two.app, first.token)).status).toBe(401);
    expect((await me(two.app, second.token)).status).toBe(200);
    expect((await me(two.app, second.token)).status).toBe(200);
    expect((await me(two.app, second.token)).status).toBe(200);
    expect((await me(two.app, second.token)).status).toBe(429); // the fourth in a minute

    expect((await request(one.app).delete(`/api-tokens/${second.id}`).set("x-user", "1")).status).toBe(204);
    expect((await me(two.app, second.token)).status).toBe(401);

    // ---- spans ----
    const finished = spans.getFinishedSpans();
    const verifies = finished.filter((s) => s.name === "tokengate.verify").map((s) => s.attributes);
    expect(verifies).toEqual([
      {
        "tokengate.outcome": "ok",
        "tokengate.cache.tier": "store",
        "tokengate.framework": "express",
        "tokengate.token.id": first.id,
      },
      {
        "tokengate.outcome": "ok",
        "tokengate.cache.tier": "memory",
        "tokengate.framework": "express",
        "tokengate.token.id": first.id,
      },
      {
        "tokengate.outcome": "ok",
        "tokengate.cache.tier": "redis",
        "tokengate.framework": "express",
        "tokengate.token.id": first.id,
      },
      // Revoked by the rotation (no grace): gone from the store, so no token id to name.
      {
        "tokengate.outcome": "invalid_token",
        "tokengate.cache.tier": "store",
        "tokengate.framework": "express",
      },
      {
        "tokengate.outcome": "ok",
        "tokengate.cache.tier": "store",
        "tokengate.framework": "express",
        "tokengate.token.id": second.id,
      },
      {
        "tokengate.outcome": "ok",
        "tokengate.cache.tier": "memory",
        "tokengate.framework": "express",
        "tokengate.token.id": second.id,
      },
      {
        "tokengate.outcome": "ok",
        "tokengate.cache.tier": "memory",
        "tokengate.framework": "express",
        "tokengate.token.id": second.id,
      },
      {
        "tokengate.outcome": "rate_limited",
        "tokengate.cache.tier": "memory",
        "tokengate.framework": "express",
        "tokengate.token.id": second.id,
      },
      {
        "tokengate.outcome": "invalid_token",
        "tokengate.cache.tier": "store",
        "tokengate.framework": "express",
      },
    ]);
    const admin = finished.filter((s) => s.name.startsWith("tokengate.admin."));
    expect(admin.map((s) => [s.name, s.attributes])).toEqual([
      [
        "tokengate.admin.create",
        {
          "tokengate.admin.operation": "create",
          "http.response.status_code": 201,
          "tokengate.token.id": first.id,
        },
      ],
      [
        "tokengate.admin.rotate",
        {
          "tokengate.admin.operation": "rotate",
          "http.response.status_code": 201,
          "tokengate.token.id": first.id,
          "tokengate.token.successor_id": second.id,
        },
      ],
      [
        "tokengate.admin.delete",
        {
          "tokengate.admin.operation": "delete",
          "http.response.status_code": 204,
          "tokengate.token.id": second.id,
        },
      ],
    ]);

    // ---- metrics ----
    await reader.forceFlush();
    const exported = metricExporter.getMetrics();
    const points = (name: string) => dataPoints(exported, name);
    const count = (name: string, attributes: Record<string, unknown>) =>
      points(name)
        .filter((p) => Object.entries(attributes).every(([k, v]) => p.attributes[k] === v))
        .reduce(
          (sum, p) => sum + (typeof p.value === "number" ? p.value : (p.value as { count: number }).count),
          0,
        );

    expect(count("tokengate.verify.requests", { "tokengate.outcome": "ok" })).toBe(6);
    expect(count("tokengate.verify.requests", { "tokengate.outcome": "invalid_token" })).toBe(2);
    expect(count("tokengate.verify.requests", { "tokengate.outcome": "rate_limited" })).toBe(1);
    expect(count("tokengate.verify.duration", { "tokengate.cache.tier": "memory" })).toBe(4);
    expect(count("tokengate.verify.duration", { "tokengate.cache.tier": "redis" })).toBe(1);
    expect(count("tokengate.verify.duration", { "tokengate.cache.tier": "store" })).toBe(4);
    expect(
      count("tokengate.cache.requests", {
        "tokengate.cache.tier": "memory",
        "tokengate.cache.result": "hit",
      }),
    ).toBe(4);
    expect(
      count("tokengate.cache.requests", {
        "tokengate.cache.tier": "memory",
        "tokengate.cache.result": "miss",
      }),
    ).toBe(5);
    expect(
      count("tokengate.cache.requests", { "tokengate.cache.tier": "redis", "tokengate.cache.result": "hit" }),
    ).toBe(1);
    expect(
      count("tokengate.cache.requests", {
        "tokengate.cache.tier": "redis",
        "tokengate.cache.result": "miss",
      }),
    ).toBe(4);
    expect(count("tokengate.rate_limit.refusals", { "tokengate.framework": "express" })).toBe(1);
    // Rotation and revocation each waited for the other instance to acknowledge (both gates record).
    expect(count("tokengate.invalidation.duration", { "tokengate.invalidation.acknowledged": true })).toBe(2);
    // Two gates, both up: each observes its store and its Redis as available.
    expect(points("tokengate.store.available").map((p) => p.value)).toEqual([1]);
    expect(points("tokengate.redis.available").map((p) => p.value)).toEqual([1]);

    // ---- secrecy ----
    const secrets = [first.token, second.token].flatMap((t) => [t, sha512Digester.digest(t)]);
    const everything = JSON.stringify({
      spans: finished.map((s) => ({
        name: s.name,
        attributes: s.attributes,
        events: s.events,
        links: s.links,
        status: s.status,
      })),
      metrics: exported.flatMap((r) =>
        r.scopeMetrics.flatMap((m) => m.metrics.map((x) => x.dataPoints.map((p) => p.attributes))),
      ),
    });
    for (const secret of secrets) expect(everything).not.toContain(secret);
  });
});

/** Every data point of one metric, across the exports so far (cumulative: the last is enough). */
function dataPoints(
  exported: ResourceMetrics[],
  name: string,
): Array<{ attributes: Record<string, unknown>; value: unknown }> {
  const last = exported.at(-1);
  if (!last) return [];
  return last.scopeMetrics.flatMap((scope) =>
    scope.metrics
      .filter((metric) => metric.descriptor.name === name)
      .flatMap(
        (metric) => metric.dataPoints as Array<{ attributes: Record<string, unknown>; value: unknown }>,
      ),
  );
}

export type { ReadableSpan };
