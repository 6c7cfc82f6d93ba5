/**
 * tokengate's OpenTelemetry instrumentation, written against `@opentelemetry/api` only: with no SDK
 * registered the API hands out no-op tracers and meters, and the verifier skips the rest (see
 * `startVerify`). `createTokenGate` builds one `GateTelemetry` (its `telemetry` option) and hands
 * it to the verifier, the admin router and the cache; each calls it from one line.
 *
 * What is recorded, and never the token or its digest:
 * - span `tokengate.verify` per verification: outcome code, cache tier that answered, token id when
 *   known, framework;
 * - span `tokengate.admin.<operation>` per admin router call;
 * - `tokengate.verify.requests` (by outcome), `tokengate.verify.duration` (by tier),
 *   `tokengate.cache.requests` (by tier and hit/miss), `tokengate.invalidation.duration` (time for
 *   every instance to acknowledge), `tokengate.rate_limit.refusals`, and the gauges
 *   `tokengate.store.available` and `tokengate.redis.available` (read from `gate.health()`).
 *
 * Metrics: register the SDK's MeterProvider before `createTokenGate` (the metrics API has no proxy:
 * instruments made before registration stay no-op). Traces follow the global provider at any time.
 *
 * The package pins `@opentelemetry/api` to 1.9.x on purpose: a copy of the API only reads a global
 * provider registered by an API of the same or a later minor version, so an application whose SDK
 * brings 1.9 (SDK 2.x, the line for Node 20) or anything newer is seen. A later minor here would
 * silently see nothing in those applications.
 *
 * Longer than most files here because the verify probe, the admin spans and the cache's observer
 * share one set of instruments and attribute names.
 */
import {
  type Attributes,
  type BatchObservableCallback,
  type Counter,
  createNoopMeter,
  type Histogram,
  type Meter,
  type MeterProvider,
  metrics,
  type ObservableGauge,
  type Span,
  SpanStatusCode,
  type Tracer,
  type TracerProvider,
  trace,
} from "@opentelemetry/api";
import type { HttpAnswer } from "../errors";
import { parseId } from "../lifecycle/schemas";
import type { CacheObserver, CacheTier, LookupReport } from "../ports/types";
import type { VerifyOutcome } from "../verify/verify";

/** `createTokenGate`'s `telemetry` option: the providers to use instead of the global ones. */
export interface TelemetryOptions {
  readonly tracerProvider?: TracerProvider;
  readonly meterProvider?: MeterProvider;
}

/** What the availability gauges observe; `redis` undefined when the gate uses no Redis. */
export interface Availability {
  readonly store: boolean;
  readonly redis: boolean | undefined;
}

const SCOPE = "@tokengate/core";

/** Attribute names, one place. */
export const ATTR = {
  outcome: "tokengate.outcome",
  tier: "tokengate.cache.tier",
  tokenId: "tokengate.token.id",
  successorId: "tokengate.token.successor_id",
  framework: "tokengate.framework",
  result: "tokengate.cache.result",
  operation: "tokengate.admin.operation",
  status: "http.response.status_code",
  acknowledged: "tokengate.invalidation.acknowledged",
} as const;

// Verification takes microseconds warm and milliseconds cold: the SDK's default buckets start at 0 s
// and jump to 5 s, which would put every request in one bucket.
const SECONDS_BUCKETS = [
  0.00001, 0.000025, 0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25,
  0.5, 1, 2.5,
];

/** The attribute sets one framework's verifications use, built once and reused by every request. */
class FrameworkAttributes {
  readonly #framework: string;
  readonly #byOutcome = new Map<string, Attributes>();
  readonly #byTier = new Map<string, Attributes>();
  readonly plain: Attributes;

  constructor(framework: string) {
    this.#framework = framework;
    this.plain = Object.freeze({ [ATTR.framework]: framework });
  }

  outcome(code: string): Attributes {
    let attributes = this.#byOutcome.get(code);
    if (!attributes) {
      attributes = Object.freeze({ [ATTR.outcome]: code, [ATTR.framework]: this.#framework });
      this.#byOutcome.set(code, attributes);
    }
    return attributes;
  }

  tier(tier: string): Attributes {
    let attributes = this.#byTier.get(tier);
    if (!attributes) {
      attributes = Object.freeze({ [ATTR.tier]: tier, [ATTR.framework]: this.#framework });
      this.#byTier.set(tier, attributes);
    }
    return attributes;
  }
}

const CACHE_READS: Record<"memory" | "redis", { hit: Attributes; miss: Attributes }> = {
  memory: {
    hit: Object.freeze({ [ATTR.tier]: "memory", [ATTR.result]: "hit" }),
    miss: Object.freeze({ [ATTR.tier]: "memory", [ATTR.result]: "miss" }),
  },
  redis: {
    hit: Object.freeze({ [ATTR.tier]: "redis", [ATTR.result]: "hit" }),
    miss: Object.freeze({ [ATTR.tier]: "redis", [ATTR.result]: "miss" }),
  },
};
const ACKNOWLEDGED = Object.freeze({ [ATTR.acknowledged]: true });
const UNACKNOWLEDGED = Object.freeze({ [ATTR.acknowledged]: false });

/**
 * One verification being recorded. The verifier fills in what it learns (`tier` through the
 * lookup, `tokenId` once a credential is found); `end` records it and hands the outcome back.
 */
export class VerifyProbe implements LookupReport {
  tier: CacheTier | undefined = undefined;
  tokenId: number | undefined = undefined;
  readonly #telemetry: GateTelemetry;
  readonly #span: Span;
  readonly #started: number;
  readonly #attributes: FrameworkAttributes;

  constructor(telemetry: GateTelemetry, span: Span, attributes: FrameworkAttributes) {
    this.#telemetry = telemetry;
    this.#span = span;
    this.#attributes = attributes;
    this.#started = performance.now();
  }

  /** Records the outcome; an arrow so `promise.then(probe.end)` needs no further closure. */
  readonly end = (outcome: VerifyOutcome): VerifyOutcome => {
    const seconds = (performance.now() - this.#started) / 1000;
    const code = outcome.ok ? "ok" : outcome.error.code;
    const tier = this.tier ?? "none";
    const attributes = this.#attributes;
    this.#telemetry.verified(
      code,
      seconds,
      attributes.outcome(code),
      attributes.tier(tier),
      attributes.plain,
    );
    const span = this.#span;
    if (span.isRecording()) {
      span.setAttribute(ATTR.outcome, code);
      span.setAttribute(ATTR.tier, tier);
      span.setAttribute(ATTR.framework, attributes.plain[ATTR.framework] as string);
      const tokenId = outcome.ok ? outcome.identity.tokenId : this.tokenId;
      if (tokenId !== undefined) span.setAttribute(ATTR.tokenId, tokenId);
      // A refused credential is the request's fault, not the server's: only a 5xx marks the span.
      if (!outcome.ok && outcome.answer.status >= 500) span.setStatus({ code: SpanStatusCode.ERROR });
    }
    span.end();
    return outcome;
  };
}

/**
 * The gate's tracer, meter and instruments, made once. Also the cache's `CacheObserver`.
 */
export class GateTelemetry implements CacheObserver {
  readonly #tracer: Tracer;
  readonly #meter: Meter;
  /** False when the meter is the API's no-op: then only a recording span makes a probe worthwhile. */
  readonly #metering: boolean;
  readonly #verifies: Counter;
  readonly #verifyDuration: Histogram;
  readonly #cacheReads: Counter;
  readonly #invalidationDuration: Histogram;
  readonly #refusals: Counter;
  readonly #frameworks = new Map<string, FrameworkAttributes>();
  #healthCallback: { callback: BatchObservableCallback; gauges: ObservableGauge[] } | undefined;

  constructor(options: TelemetryOptions = {}) {
    this.#tracer = (options.tracerProvider ?? trace.getTracerProvider()).getTracer(SCOPE);
    this.#meter = (options.meterProvider ?? metrics.getMeterProvider()).getMeter(SCOPE);
    this.#metering = this.#meter !== createNoopMeter();
    const meter = this.#meter;
    this.#verifies = meter.createCounter("tokengate.verify.requests", {
      description: "Verifications, by outcome code (ok, invalid_token, token_expired, …)",
    });
    this.#verifyDuration = meter.createHistogram("tokengate.verify.duration", {
      description: "Time to verify a credential, by the cache tier that answered",
      unit: "s",
      advice: { explicitBucketBoundaries: SECONDS_BUCKETS },
    });
    this.#cacheReads = meter.createCounter("tokengate.cache.requests", {
      description: "Credential cache reads, by tier (memory, redis) and result (hit, miss)",
    });
    this.#invalidationDuration = meter.createHistogram("tokengate.invalidation.duration", {
      description: "Time for an invalidation to be acknowledged by every instance",
      unit: "s",
      advice: { explicitBucketBoundaries: SECONDS_BUCKETS },
    });
    this.#refusals = meter.createCounter("tokengate.rate_limit.refusals", {
      description: "Requests refused 429 by a rate limit",
    });
  }

  /**
   * A probe for one verification, or undefined when nothing would be recorded (no SDK): the
   * verifier then runs exactly as without telemetry, apart from one no-op span.
   */
  startVerify(framework: string | undefined): VerifyProbe | undefined {
    const span = this.#tracer.startSpan("tokengate.verify");
    if (!this.#metering && !span.isRecording()) return undefined;
    const name = framework ?? "none";
    let attributes = this.#frameworks.get(name);
    if (!attributes) {
      attributes = new FrameworkAttributes(name);
      this.#frameworks.set(name, attributes);
    }
    return new VerifyProbe(this, span, attributes);
  }

  /** @internal the probe's metrics, with attribute sets it built once. */
  verified(
    code: string,
    seconds: number,
    byOutcome: Attributes,
    byTier: Attributes,
    plain: Attributes,
  ): void {
    this.#verifies.add(1, byOutcome);
    this.#verifyDuration.record(seconds, byTier);
    if (code === "rate_limited") this.#refusals.add(1, plain);
  }

  cacheRead(tier: "memory" | "redis", hit: boolean): void {
    const reads = CACHE_READS[tier];
    this.#cacheReads.add(1, hit ? reads.hit : reads.miss);
  }

  invalidationSettled(seconds: number, acknowledged: boolean): void {
    this.#invalidationDuration.record(seconds, acknowledged ? ACKNOWLEDGED : UNACKNOWLEDGED);
  }

  /** Runs one admin router call inside its span (`tokengate.admin.<operation>`). */
  traceAdmin(
    operation: string,
    id: string | undefined,
    handle: () => Promise<HttpAnswer>,
  ): Promise<HttpAnswer> {
    return this.#tracer.startActiveSpan(`tokengate.admin.${operation}`, async (span) => {
      try {
        const answer = await handle();
        if (span.isRecording()) {
          span.setAttribute(ATTR.operation, operation);
          span.setAttribute(ATTR.status, answer.status);
          const target = id === undefined ? undefined : (parseId(id) ?? undefined);
          const minted = answer.status === 201 ? mintedId(answer) : undefined;
          if (operation === "create") {
            if (minted !== undefined) span.setAttribute(ATTR.tokenId, minted);
          } else if (target !== undefined) {
            span.setAttribute(ATTR.tokenId, target);
            if (minted !== undefined) span.setAttribute(ATTR.successorId, minted);
          }
          if (answer.status >= 500) span.setStatus({ code: SpanStatusCode.ERROR });
        }
        return answer;
      } catch (error) {
        span.setStatus({ code: SpanStatusCode.ERROR });
        throw error;
      } finally {
        span.end();
      }
    });
  }

  /**
   * Observes `tokengate.store.available` and `tokengate.redis.available` (1 up, 0 not) from the
   * gate's health, asked once per collection.
   */
  observeHealth(availability: () => Promise<Availability>): void {
    if (!this.#metering) return;
    const store = this.#meter.createObservableGauge("tokengate.store.available", {
      description: "1 while the token store answers, else 0",
    });
    const redis = this.#meter.createObservableGauge("tokengate.redis.available", {
      description: "1 while the credential cache's Redis is reachable and trusted, else 0",
    });
    const callback: BatchObservableCallback = async (result) => {
      const now = await availability();
      result.observe(store, now.store ? 1 : 0);
      if (now.redis !== undefined) result.observe(redis, now.redis ? 1 : 0);
    };
    this.#meter.addBatchObservableCallback(callback, [store, redis]);
    this.#healthCallback = { callback, gauges: [store, redis] };
  }

  /** Stops observing the gate's health (the gate is closing). */
  close(): void {
    if (!this.#healthCallback) return;
    this.#meter.removeBatchObservableCallback(this.#healthCallback.callback, this.#healthCallback.gauges);
    this.#healthCallback = undefined;
  }
}

/** The id in a 201 answer's body (create, rotate). Only `id` is read: the body also holds the token. */
function mintedId(answer: HttpAnswer): number | undefined {
  if (answer.body === undefined) return undefined;
  try {
    const id = (JSON.parse(answer.body) as { id?: unknown }).id;
    return typeof id === "number" ? id : undefined;
  } catch {
    return undefined;
  }
}
