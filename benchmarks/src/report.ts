/** Turns measurements into the markdown tables and the target verdicts. Reports; never asserts. */
import type { Contender } from "./contenders";
import type { LoadResult } from "./load";
import type { ColdMissRow, VerifyTiming } from "./micro";

/** Every round's result for one contender, or why it has none. */
export interface HttpSeries {
  readonly contender: Contender;
  readonly rounds: LoadResult[];
  readonly unavailable?: string;
}

/** The median of the finite values (a failed window's NaN is left out), NaN when there are none. */
export function median(values: readonly number[]): number {
  const sorted = values.filter(Number.isFinite).sort((a, b) => a - b);
  if (sorted.length === 0) return Number.NaN;
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/** The median of a list and its range: how far the rounds disagreed. */
export interface Spread {
  readonly median: number;
  readonly min: number;
  readonly max: number;
}

function spreadOf(values: readonly number[]): Spread {
  return values.length === 0
    ? { median: Number.NaN, min: Number.NaN, max: Number.NaN }
    : { median: median(values), min: Math.min(...values), max: Math.max(...values) };
}

/**
 * How much cheaper `b` is than `a`, by the server's CPU time per request: `b`'s µs over `a`'s,
 * round by round. Both ran in the same round, seconds to minutes apart, so drift of the machine
 * between rounds cancels out of each quotient. 1 means `a` costs what `b` costs; 0.5, twice.
 */
export function roundRatio(a: HttpSeries | undefined, b: HttpSeries | undefined): Spread {
  if (!a || !b) return spreadOf([]);
  const n = Math.min(a.rounds.length, b.rounds.length);
  const ratios: number[] = [];
  for (let i = 0; i < n; i++) {
    ratios.push(b.rounds[i]!.cpuMicrosPerRequest / a.rounds[i]!.cpuMicrosPerRequest);
  }
  return spreadOf(ratios.filter(Number.isFinite));
}

const fmt = (n: number, digits = 0) =>
  Number.isFinite(n)
    ? n.toLocaleString("en-US", { maximumFractionDigits: digits, minimumFractionDigits: digits })
    : "—";

/** `0.97 (0.95–0.99)`: the median and the min–max over rounds. */
export function fmtSpread(s: Spread, digits = 2): string {
  if (!Number.isFinite(s.median)) return "—";
  return `${fmt(s.median, digits)} (${fmt(s.min, digits)}–${fmt(s.max, digits)})`;
}

export function httpTable(series: readonly HttpSeries[]): string {
  const byId = new Map(series.map((s) => [s.contender.id, s]));
  const lines = [
    "| contender | framework | CPU µs/request | µs over baseline | requests/s | busy | p50 (ms) | p99 (ms) | ratio to baseline | ratio to ideal |",
    "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|",
  ];
  for (const s of series) {
    const { label, framework, kind } = s.contender;
    if (s.unavailable !== undefined || s.rounds.length === 0) {
      lines.push(`| ${label} | ${framework} | ${s.unavailable ?? "no result"} | | | | | | | |`);
      continue;
    }
    const failures = s.rounds.reduce((sum, r) => sum + r.failures, 0);
    const baseline = byId.get(`${framework}/baseline`);
    const ideal = byId.get(`${framework}/ideal`);
    const cpu = median(s.rounds.map((r) => r.cpuMicrosPerRequest));
    const over = baseline?.rounds.length
      ? cpu - median(baseline.rounds.map((r) => r.cpuMicrosPerRequest))
      : NaN;
    const cells = [
      `${label}${failures > 0 ? ` ⚠ ${failures} non-2xx/errors` : ""}`,
      framework,
      fmt(cpu, 1),
      kind === "baseline" ? "0" : fmt(over, 1),
      fmt(median(s.rounds.map((r) => r.requestsPerSecond))),
      `${fmt(median(s.rounds.map((r) => r.busy)) * 100)}%`,
      fmt(median(s.rounds.map((r) => r.p50Ms)), 2),
      fmt(median(s.rounds.map((r) => r.p99Ms)), 2),
      kind === "baseline" ? "1" : fmtSpread(roundRatio(s, baseline)),
      kind === "ideal" ? "1" : kind === "baseline" ? "" : fmtSpread(roundRatio(s, ideal)),
    ];
    lines.push(`| ${cells.join(" | ")} |`);
  }
  return lines.join("\n");
}

export function verifyTable(timings: readonly VerifyTiming[]): string {
  const lines = [
    "| core verify call (`gate.verifier.verify`) | ns per call | µs per call |",
    "|---|---:|---:|",
  ];
  for (const t of timings) {
    lines.push(
      t.nsPerCall === null
        ? `| ${t.label} | ${t.note ?? "—"} | |`
        : `| ${t.label} | ${fmt(t.nsPerCall)} | ${fmt(t.nsPerCall / 1000, 2)} |`,
    );
  }
  return lines.join("\n");
}

export function coldTable(
  rows: readonly (ColdMissRow | { store: string; tokens: number; error: string })[],
): string {
  const lines = [
    "| cold miss (uncached verify) | tokens in table | p50 (µs) | p99 (µs) | samples |",
    "|---|---:|---:|---:|---:|",
  ];
  for (const r of rows) {
    if ("error" in r) lines.push(`| ${r.store} | ${fmt(r.tokens)} | ${r.error} | | |`);
    else
      lines.push(
        `| ${r.store}${r.note ? ` (${r.note})` : ""} | ${fmt(r.tokens)} | ${fmt(r.p50Us, 1)} | ${fmt(r.p99Us, 1)} | ${fmt(r.samples)} |`,
      );
  }
  return lines.join("\n");
}

interface Verdict {
  readonly target: string;
  /** null: could not be measured in this run. */
  readonly met: boolean | null;
  readonly measured: string;
}

/** The issue's targets, each as met / missed / not measured, with the value that decided it. */
export function targetVerdicts(
  series: readonly HttpSeries[],
  timings: readonly VerifyTiming[],
  cold: readonly (ColdMissRow | { store: string; tokens: number; error: string })[],
): string {
  const byId = new Map(series.filter((s) => s.rounds.length > 0).map((s) => [s.contender.id, s]));
  const verdicts: Verdict[] = [];
  // Decided by the median over rounds; the min–max beside it says how close the call was.
  const atLeast = (target: string, value: Spread, floor: number) =>
    verdicts.push({
      target,
      met: Number.isFinite(value.median) ? value.median >= floor : null,
      measured: Number.isFinite(value.median) ? fmtSpread(value) : "not measured",
    });

  for (const fw of ["hono", "express", "koa"]) {
    atLeast(
      `${fw}: warm cache ≥ 0.90 of baseline`,
      roundRatio(byId.get(`${fw}/tokengate-warm`), byId.get(`${fw}/baseline`)),
      0.9,
    );
  }
  for (const fw of ["hono", "express", "koa"]) {
    atLeast(
      `${fw}: warm cache ≥ 0.97 of the hand-written ideal (issue 17)`,
      roundRatio(byId.get(`${fw}/tokengate-warm`), byId.get(`${fw}/ideal`)),
      0.97,
    );
  }
  atLeast(
    "hono: warm cache ≥ 3x Hono bearerAuth",
    roundRatio(byId.get("hono/tokengate-warm"), byId.get("hono/hono-bearer-auth")),
    3,
  );
  atLeast(
    "hono: warm cache ≥ 10x better-auth apiKey",
    roundRatio(byId.get("hono/tokengate-warm"), byId.get("hono/better-auth-api-key")),
    10,
  );
  for (const fw of ["hono", "express", "koa"]) {
    atLeast(
      `${fw}: Redis only ≥ 0.50 of baseline`,
      roundRatio(byId.get(`${fw}/tokengate-redis`), byId.get(`${fw}/baseline`)),
      0.5,
    );
  }
  const warm = timings.find((t) => t.label.startsWith("warm"))?.nsPerCall ?? null;
  verdicts.push({
    target: "core verify, warm cache < 1.5 µs per call",
    met: warm === null ? null : warm / 1000 < 1.5,
    measured: warm === null ? "not measured" : `${(warm / 1000).toFixed(2)} µs`,
  });
  for (const store of ["SQLite", "PostgreSQL"]) {
    const rows = cold
      .filter((r): r is ColdMissRow => r.store === store && !("error" in r))
      .sort((a, b) => a.tokens - b.tokens);
    const first = rows[0];
    const last = rows[rows.length - 1];
    if (!first || !last || first === last) {
      verdicts.push({
        target: `${store}: cold-miss p99 flat within 2x`,
        met: null,
        measured: "not measured",
      });
      continue;
    }
    const growth = last.p99Us / first.p99Us;
    verdicts.push({
      target: `${store}: cold-miss p99 within 2x from ${fmt(first.tokens)} to ${fmt(last.tokens)} tokens${
        last.tokens < 1_000_000 ? " (the target is to 1,000,000: run without --quick)" : ""
      }`,
      met: growth <= 2,
      measured: `${fmt(first.p99Us, 1)} → ${fmt(last.p99Us, 1)} µs (${growth.toFixed(2)}x)`,
    });
  }
  const lines = ["| target | verdict | measured |", "|---|---|---|"];
  for (const v of verdicts) {
    lines.push(
      `| ${v.target} | ${v.met === null ? "not measured" : v.met ? "met" : "**missed**"} | ${v.measured} |`,
    );
  }
  return lines.join("\n");
}
