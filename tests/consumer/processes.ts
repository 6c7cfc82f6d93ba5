/**
 * Child processes for the consumer test: commands that must succeed (their output is kept for the
 * failure message), and servers that run until the test stops them.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { once } from "node:events";
import { Socket } from "node:net";

export interface CommandResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

export interface CommandOptions {
  readonly cwd: string;
  readonly env?: NodeJS.ProcessEnv;
  /** Kill the command after this many ms. Default 5 minutes (an install compiles better-sqlite3). */
  readonly timeoutMs?: number;
}

/** Runs a command to the end and returns its exit code and output; never throws for a non-zero exit. */
export function runCommand(
  command: string,
  args: readonly string[],
  options: CommandOptions,
): Promise<CommandResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, {
      cwd: options.cwd,
      env: options.env ?? process.env,
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk: Buffer) => {
      stdout += chunk.toString();
    });
    child.stderr.on("data", (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    const timer = setTimeout(() => child.kill("SIGKILL"), options.timeoutMs ?? 5 * 60_000);
    child.once("error", (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.once("close", (code, signal) => {
      clearTimeout(timer);
      resolve({ code: code ?? (signal ? 128 : 1), stdout, stderr });
    });
  });
}

/** Runs a command that must succeed; its whole output is in the error when it does not. */
export async function mustRun(
  command: string,
  args: readonly string[],
  options: CommandOptions,
): Promise<CommandResult> {
  const result = await runCommand(command, args, options);
  if (result.code !== 0) {
    throw new Error(
      `\`${command} ${args.join(" ")}\` in ${options.cwd} exited with ${result.code}\n${result.stdout}\n${result.stderr}`,
    );
  }
  return result;
}

function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = new Socket();
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(500, () => done(false));
    socket.once("error", () => done(false));
    socket.connect(port, "127.0.0.1", () => done(true));
  });
}

/** A long-running process (an app, the registry) and what it printed so far. */
export interface RunningProcess {
  readonly child: ChildProcess;
  output(): string;
  stop(): Promise<void>;
}

/** Starts a process and waits until it accepts connections on `port` (or fails with its output). */
export async function startListening(
  command: string,
  args: readonly string[],
  options: { cwd: string; port: number; env?: NodeJS.ProcessEnv; timeoutMs?: number },
): Promise<RunningProcess> {
  // Its own process group, so stopping it also stops what it started (npx runs the bin as a child).
  const child = spawn(command, args, {
    cwd: options.cwd,
    env: options.env ?? process.env,
    stdio: ["ignore", "pipe", "pipe"],
    detached: true,
  });
  const signal = (name: NodeJS.Signals) => {
    try {
      if (child.pid) process.kill(-child.pid, name);
    } catch {
      // The group is gone already.
    }
  };
  let output = "";
  child.stdout?.on("data", (chunk: Buffer) => {
    output += chunk.toString();
  });
  child.stderr?.on("data", (chunk: Buffer) => {
    output += chunk.toString();
  });
  const running: RunningProcess = {
    child,
    output: () => output,
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = once(child, "exit");
      signal("SIGTERM");
      const timer = setTimeout(() => signal("SIGKILL"), 5_000);
      await exited;
      clearTimeout(timer);
    },
  };
  const deadline = Date.now() + (options.timeoutMs ?? 30_000);
  while (!(await accepts(options.port))) {
    if (child.exitCode !== null || Date.now() > deadline) {
      await running.stop();
      throw new Error(`\`${command} ${args.join(" ")}\` never listened on ${options.port}:\n${output}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return running;
}
