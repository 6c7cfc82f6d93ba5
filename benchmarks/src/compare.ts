/**
 * `pnpm --filter @tokengate/benchmarks run compare results/A.md results/B.md …` — the run-to-run
 * check of issue 17: every target row's median, side by side across result files, and how far the
 * runs are apart (± half the range, relative to their mean). The warm/ideal rows are held to ±3%.
 * Reads only the "Targets" table that main.ts writes; reports, never fails on a number.
 */
import { readFileSync } from "node:fs";
import { basename } from "node:path";

const TOLERANCE = 0.03;

/** target → the median written in the "measured" column (`0.98 (0.97–0.99)` → 0.98). */
function targetMedians(file: string): Map<string, number> {
  const medians = new Map<string, number>();
  const text = readFileSync(file, "utf8");
  const section = text.slice(text.indexOf("## Targets"));
  for (const line of section.split("\n")) {
    const cells = line.split("|").map((c) => c.trim());
    // | target | verdict | measured |
    // The cold-miss rows read `a → b µs (growth)`: a range, not one median to compare.
    const value = cells[3]?.includes("→") ? Number.NaN : Number(/^[\d.]+/.exec(cells[3] ?? "")?.[0]);
    if (cells.length >= 5 && cells[1] && Number.isFinite(value)) medians.set(cells[1], value);
  }
  return medians;
}

function main(files: readonly string[]): void {
  if (files.length < 2) throw new Error("give two or more result files, e.g. results/2026-12-04-full*.md");
  const runs = files.map(targetMedians);
  const lines = [
    `| target | ${files.map((f) => basename(f, ".md")).join(" | ")} | spread | ±3%? |`,
    `|---|${files.map(() => "---:").join("|")}|---:|---|`,
  ];
  for (const target of runs[0]!.keys()) {
    const values = runs.map((r) => r.get(target));
    if (values.some((v) => v === undefined)) continue;
    const numbers = values as number[];
    const mean = numbers.reduce((a, b) => a + b, 0) / numbers.length;
    const spread = (Math.max(...numbers) - Math.min(...numbers)) / 2 / mean;
    const held = target.includes("hand-written ideal")
      ? spread <= TOLERANCE
        ? "within"
        : "**outside**"
      : "";
    lines.push(
      `| ${target} | ${numbers.map((n) => n.toFixed(2)).join(" | ")} | ±${(spread * 100).toFixed(1)}% | ${held} |`,
    );
  }
  process.stdout.write(`${lines.join("\n")}\n`);
}

main(process.argv.slice(2).filter((a) => a !== "--"));
