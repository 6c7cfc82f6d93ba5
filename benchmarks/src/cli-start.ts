/**
 * `pnpm bench:cli` — how long `tokengate --help` takes to start, as a user waits for it: the
 * compiled command on plain node (what the package ships), next to the same sources loaded through
 * tsx (how bin/tokengate.cjs ran them before the CLI was compiled). Wall time of whole processes,
 * so it includes Node's own start-up, shown in the first row for scale. Prints a table; it reports,
 * it never fails.
 *
 * Options: --runs=N (default 20). Needs `pnpm run build` first (the compiled row reads dist/).
 */
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..", "..");
const runs = Number(process.argv.find((arg) => arg.startsWith("--runs="))?.slice("--runs=".length) ?? 20);

interface Row {
  readonly name: string;
  readonly args: readonly string[];
}

const ROWS: readonly Row[] = [
  { name: "node -e 0 (Node's own start-up)", args: ["-e", "0"] },
  {
    name: "tokengate --help, compiled (dist/main.cjs)",
    args: [join(ROOT, "packages/cli/bin/tokengate.cjs"), "--help"],
  },
  {
    name: "tokengate --help, sources through tsx (before)",
    args: ["--import", "tsx", join(ROOT, "packages/cli/src/main.ts"), "--help"],
  },
];

function percentile(sorted: readonly number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

if (!existsSync(join(ROOT, "packages/cli/dist/main.cjs"))) {
  console.error("packages/cli/dist/main.cjs is missing: run `pnpm run build` first");
  process.exit(1);
}

console.log(`| start-up (${runs} runs each, ms) | min | median | p90 |`);
console.log("| --- | ---: | ---: | ---: |");
for (const row of ROWS) {
  const times: number[] = [];
  for (let i = 0; i < runs + 1; i++) {
    const started = performance.now();
    const result = spawnSync(process.execPath, row.args, { cwd: ROOT, stdio: "ignore" });
    const elapsed = performance.now() - started;
    if (result.status !== 0) {
      console.log(`| ${row.name} | exited ${result.status} | | |`);
      break;
    }
    if (i > 0) times.push(elapsed); // the first run warms the OS file cache
  }
  if (times.length === 0) continue;
  times.sort((a, b) => a - b);
  const fmt = (ms: number) => ms.toFixed(0);
  console.log(
    `| ${row.name} | ${fmt(times[0]!)} | ${fmt(percentile(times, 50))} | ${fmt(percentile(times, 90))} |`,
  );
}
