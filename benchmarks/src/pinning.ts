/**
 * Which core the servers run on and which the load generator runs on. The servers share one core
 * (one is loaded at a time; the others sleep), the load generator and this parent process share
 * another, so the load generator never takes the server's core from it. Linux `taskset` (util-linux)
 * does the pinning; without it, or with fewer than two cores, the run says so and runs unpinned.
 */
import { execFileSync, spawnSync } from "node:child_process";

export interface CorePlan {
  /** The core every server process is pinned to, or null when unpinned. */
  readonly server: number | null;
  /** The core the load generator (and this process) is pinned to, or null when unpinned. */
  readonly load: number | null;
  /** One line for the report: what was pinned where, or why nothing was. */
  readonly note: string;
}

/** `0-1,4` → [0, 1, 4]: the affinity list format taskset prints. */
export function parseCpuList(list: string): number[] {
  const cpus: number[] = [];
  for (const part of list.trim().split(",")) {
    const [from, to] = part.split("-").map(Number);
    if (from === undefined || !Number.isInteger(from)) continue;
    for (let cpu = from; cpu <= (to ?? from); cpu++) cpus.push(cpu);
  }
  return cpus;
}

/** The cores this process may run on, or null when taskset is missing or fails. */
function allowedCores(): number[] | null {
  try {
    const out = execFileSync("taskset", ["-cp", String(process.pid)], { encoding: "utf8" });
    const list = /:\s*([\d,-]+)\s*$/.exec(out.trim())?.[1];
    return list ? parseCpuList(list) : null;
  } catch {
    return null;
  }
}

/** Pins every thread of a running process (its V8 and libuv threads too) to one core. */
export function pinProcess(pid: number, core: number): string | null {
  const result = spawnSync("taskset", ["-a", "-cp", String(core), String(pid)], { encoding: "utf8" });
  if (result.status === 0) return null;
  return (result.stderr || result.error?.message || `taskset exited with ${result.status}`).trim();
}

/**
 * The last allowed core for the servers, the first for the load generator, and this process moved
 * onto the load generator's core. `enabled: false` (`--no-pin`) leaves everything where the
 * scheduler puts it, for comparison.
 */
export function planCores(enabled: boolean): CorePlan {
  if (!enabled) return { server: null, load: null, note: "unpinned (--no-pin)" };
  const cores = allowedCores();
  if (cores === null) return { server: null, load: null, note: "unpinned: taskset is not available" };
  if (cores.length < 2) {
    return { server: null, load: null, note: `unpinned: only core ${cores.join("")} is available` };
  }
  const server = cores[cores.length - 1]!;
  const load = cores[0]!;
  const problem = pinProcess(process.pid, load);
  if (problem) return { server: null, load: null, note: `unpinned: taskset failed (${problem})` };
  return {
    server,
    load,
    note: `servers pinned to core ${server}; the load generator and the benchmark's own process to core ${load}`,
  };
}

/** The command line that runs `command` on `core` (unchanged when `core` is null). */
export function onCore(core: number | null, command: string, args: readonly string[]): [string, string[]] {
  return core === null ? [command, [...args]] : ["taskset", ["-c", String(core), command, ...args]];
}
