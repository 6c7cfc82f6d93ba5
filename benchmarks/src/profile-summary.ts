/**
 * `tsx src/profile-summary.ts <file.cpuprofile> [top]` — where a server's time went: self time by
 * function and by file group (node internals, the framework, tokengate, crypto…), from a profile
 * written by `pnpm bench --profile=<contender>`.
 */
import { readFileSync } from "node:fs";

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}

interface Profile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

function group(url: string, name: string): string {
  if (url.includes("/packages/")) return `tokengate ${/\/packages\/([^/]+)/.exec(url)?.[1] ?? ""}`;
  const pkg = /node_modules\/(?:\.pnpm\/[^/]+\/node_modules\/)?((?:@[^/]+\/)?[^/]+)/.exec(url)?.[1];
  if (pkg) return pkg;
  if (url.startsWith("node:")) return "node internals";
  if (url.includes("/benchmarks/")) return "benchmark harness";
  if (name === "(garbage collector)") return "GC";
  if (name === "(idle)" || name === "(program)") return name;
  return url === "" ? `native ${name || "(anonymous)"}` : url;
}

function main(): void {
  const [file, topArg] = process.argv.slice(2);
  if (!file) throw new Error("usage: tsx src/profile-summary.ts <file.cpuprofile> [top]");
  const top = Number(topArg ?? 25);
  const profile = JSON.parse(readFileSync(file, "utf8")) as Profile;
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const self = new Map<number, number>();
  for (let i = 0; i < profile.samples.length; i++) {
    const id = profile.samples[i]!;
    self.set(id, (self.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0));
  }
  const total = [...self.values()].reduce((a, b) => a + b, 0);
  const idle = [...self].filter(([id]) => byId.get(id)?.callFrame.functionName === "(idle)");
  const busy = total - idle.reduce((a, [, t]) => a + t, 0);

  const byFunction = new Map<string, number>();
  const byGroup = new Map<string, number>();
  for (const [id, time] of self) {
    const { functionName, url, lineNumber } = byId.get(id)!.callFrame;
    if (functionName === "(idle)") continue;
    const short = url.replace(/^.*\/(node_modules|packages|benchmarks)\//, "$1/");
    const key = `${functionName || "(anonymous)"} ${short}:${lineNumber + 1}`;
    byFunction.set(key, (byFunction.get(key) ?? 0) + time);
    const g = group(url, functionName);
    byGroup.set(g, (byGroup.get(g) ?? 0) + time);
  }
  const pct = (t: number) => `${((100 * t) / busy).toFixed(1)}%`.padStart(6);
  console.log(
    `busy ${(busy / 1e6).toFixed(2)} s of ${(total / 1e6).toFixed(2)} s sampled\n\nself time by group:`,
  );
  for (const [g, t] of [...byGroup].sort((a, b) => b[1] - a[1]).slice(0, top)) console.log(`${pct(t)}  ${g}`);
  console.log("\nself time by function:");
  for (const [f, t] of [...byFunction].sort((a, b) => b[1] - a[1]).slice(0, top))
    console.log(`${pct(t)}  ${f}`);
}

main();
