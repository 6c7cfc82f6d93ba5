/**
 * Issue 14, part 1, per adapter: every framework's verify span names its framework, providers
 * passed to `createTokenGate` are used instead of the global ones, `telemetry: false` records
 * nothing, and with no SDK registered verification runs without a probe (its cost guarantee).
 */
import {
  InMemoryMetricExporter,
  MeterProvider,
  PeriodicExportingMetricReader,
} from "@opentelemetry/sdk-metrics";
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  SimpleSpanProcessor,
} from "@opentelemetry/sdk-trace-base";
import {
  createTokenGate,
  GateTelemetry,
  MemoryDirectory,
  MemoryTokenStore,
  type TelemetryOptions,
  type TokenGate,
} from "@tokengate/core";
import { tokengate as expressGate } from "@tokengate/express";
import { tokengate as honoGate } from "@tokengate/hono";
import { tokengate as koaGate } from "@tokengate/koa";
import express from "express";
import { Hono } from "hono";
import Koa from "koa";
import request from "supertest";

function sdk() {
  const spans = new InMemorySpanExporter();
  const reader = new PeriodicExportingMetricReader({
    exporter: new InMemoryMetricExporter(0),
    exportIntervalMillis: 3_600_000,
  });
  const providers: TelemetryOptions = {
    tracerProvider: new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(spans)] }),
    meterProvider: new MeterProvider({ readers: [reader] }),
  };
  return { spans, reader, providers };
}

async function gateWithToken(
  telemetry: TelemetryOptions | false,
): Promise<{ gate: TokenGate; token: string }> {
  const gate = createTokenGate({
    store: new MemoryTokenStore(),
    directory: new MemoryDirectory().upsertUser({ id: 1, disabled: false }),
    usageFlushIntervalMs: false,
    telemetry,
  });
  const created = await gate.service.create({ kind: "user", userId: 1 }, { tokenName: "adapters" });
  if (!created.ok) throw created.error;
  return { gate, token: created.value.token };
}

const CALLS: Record<string, (gate: TokenGate, token: string) => Promise<number>> = {
  express: async (gate, token) => {
    const app = express().get("/me", expressGate(gate), (_req, res) => {
      res.end("ok");
    });
    return (await request(app).get("/me").set("authorization", `Bearer ${token}`)).status;
  },
  koa: async (gate, token) => {
    const app = new Koa().use(koaGate(gate)).use((ctx) => {
      ctx.body = "ok";
    });
    return (await request(app.callback()).get("/me").set("authorization", `Bearer ${token}`)).status;
  },
  hono: async (gate, token) => {
    const app = new Hono().use("*", honoGate(gate)).get("/me", (c) => c.text("ok"));
    return (await app.request("/me", { headers: { authorization: `Bearer ${token}` } })).status;
  },
};

describe.each(Object.keys(CALLS))("telemetry through %s", (framework) => {
  it("records a verify span naming the framework, on the providers the gate was given", async () => {
    const { spans, reader, providers } = sdk();
    const { gate, token } = await gateWithToken(providers);
    expect(await CALLS[framework]!(gate, token)).toBe(200);
    expect(await CALLS[framework]!(gate, "api_0000000000000000")).toBe(401);
    expect(spans.getFinishedSpans().map((s) => s.attributes)).toEqual([
      {
        "tokengate.outcome": "ok",
        "tokengate.cache.tier": "store",
        "tokengate.framework": framework,
        "tokengate.token.id": 1,
      },
      {
        "tokengate.outcome": "invalid_token",
        "tokengate.cache.tier": "store",
        "tokengate.framework": framework,
      },
    ]);
    const { resourceMetrics } = await reader.collect();
    const requests = resourceMetrics.scopeMetrics
      .flatMap((s) => s.metrics)
      .find((m) => m.descriptor.name === "tokengate.verify.requests");
    expect(requests?.dataPoints.map((p) => [p.attributes, p.value])).toEqual([
      [{ "tokengate.outcome": "ok", "tokengate.framework": framework }, 1],
      [{ "tokengate.outcome": "invalid_token", "tokengate.framework": framework }, 1],
    ]);
    await gate.close();
  });
});

describe("telemetry switched off, or with no SDK", () => {
  it("records nothing with telemetry: false, though the providers exist", async () => {
    const { spans, reader } = sdk();
    const { gate, token } = await gateWithToken(false);
    expect(await CALLS.express!(gate, token)).toBe(200);
    expect(spans.getFinishedSpans()).toEqual([]);
    const { resourceMetrics } = await reader.collect();
    expect(resourceMetrics.scopeMetrics).toEqual([]);
    await gate.close();
  });

  it("starts no probe when no SDK is registered: the verifier runs as with telemetry off", () => {
    // The global providers are the API's no-ops in this file.
    expect(new GateTelemetry().startVerify("express")).toBeUndefined();
  });
});
