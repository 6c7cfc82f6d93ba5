/**
 * Starts and stops `limited-app.ts` processes, for the suites that check limits across instances
 * (`two-processes.test.ts` here, and the scale-out suites on a Cluster or Sentinel group).
 */
import { type ChildProcess, spawn } from "node:child_process";
import { once } from "node:events";
import { join } from "node:path";
import { createInterface } from "node:readline";

const LIMITED_APP = join(__dirname, "limited-app.ts");
const REPO_ROOT = join(__dirname, "..", "..");

/** Starts `tests/rate-limit/limited-app.ts` (frozen clock, one shared token) on `redisUrl`. */
export async function startLimitedApp(
  redisUrl: string,
  env: { prefix: string; token: string; limit: number },
): Promise<{ child: ChildProcess; port: number }> {
  const child = spawn(join(REPO_ROOT, "node_modules/.bin/tsx"), [LIMITED_APP], {
    cwd: join(REPO_ROOT, "tests"),
    env: {
      ...process.env,
      REDIS_URL: redisUrl,
      PREFIX: env.prefix,
      TOKEN: env.token,
      LIMIT: String(env.limit),
      NOW: "2025-06-15T08:00:00.000Z",
    },
    stdio: ["ignore", "pipe", "inherit"],
  });
  const lines = createInterface({ input: child.stdout! });
  const timer = setTimeout(() => child.kill("SIGKILL"), 30_000);
  try {
    const [line] = (await Promise.race([
      once(lines, "line"),
      once(child, "exit").then(() => {
        throw new Error(`limited-app on ${redisUrl} exited before listening`);
      }),
    ])) as [string];
    return { child, port: (JSON.parse(line) as { port: number }).port };
  } finally {
    clearTimeout(timer);
  }
}

/** SIGTERM to each (SIGKILL if it has not exited within 3 s); resolves once all have exited. */
export async function stopLimitedApps(apps: ReadonlyArray<{ child: ChildProcess }>): Promise<void> {
  await Promise.all(
    apps.map(async ({ child }) => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = once(child, "exit");
      child.kill("SIGTERM");
      const timer = setTimeout(() => child.kill("SIGKILL"), 3000);
      await exited;
      clearTimeout(timer);
    }),
  );
}
