/**
 * A Redis Cluster for the benchmark's cluster rows (issue 16): 3 masters and 3 replicas on free
 * loopback ports, from the `redis-server` and `redis-cli` on PATH, in a temporary directory, no
 * persistence. The same shape the scale-out tests use (tests/scale-out/topologies.ts), kept
 * separate because the benchmark is its own package; this one only starts and stops, it never
 * fails over.
 *
 * The hook in main.ts: before the HTTP rows,
 *   const cluster = await startBenchCluster();        // { url } or { unavailable }
 *   if ("url" in cluster) env = { ...env, redisClusterUrl: cluster.url };
 *   else log(`Redis Cluster unavailable: ${cluster.unavailable}`);
 * and `await cluster.stop?.()` once the servers are stopped. A fresh cluster each run, so no keys to
 * clean up.
 */
import { type ChildProcess, execFile, spawn, spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Redis from "ioredis";

const HOST = "127.0.0.1";

export type BenchCluster =
  | { readonly url: string; stop(): Promise<void> }
  | { readonly unavailable: string; stop?: undefined };

const which = (name: string): string | undefined =>
  spawnSync("sh", ["-c", `command -v ${name}`], { encoding: "utf8" }).stdout.trim() || undefined;

function canBind(port: number): Promise<boolean> {
  return new Promise((done) => {
    const server = createServer();
    server.once("error", () => done(false));
    server.listen(port, HOST, () => server.close(() => done(true)));
  });
}

/** A port below the ephemeral range whose cluster bus port (`port + 10000`) is free too. */
async function freePortPair(taken: Set<number>): Promise<number> {
  for (let attempt = 0; attempt < 200; attempt++) {
    const port = 20_000 + Math.floor(Math.random() * 12_000);
    if (taken.has(port) || taken.has(port + 10_000)) continue;
    if ((await canBind(port)) && (await canBind(port + 10_000))) {
      taken.add(port).add(port + 10_000);
      return port;
    }
  }
  throw new Error("no free port pair");
}

async function clusterInfo(port: number): Promise<string> {
  const client = new Redis({ host: HOST, port, lazyConnect: true, retryStrategy: () => null });
  client.on("error", () => {});
  try {
    await client.connect();
    return String(await client.call("CLUSTER", "INFO"));
  } finally {
    client.disconnect();
  }
}

async function until(what: string, timeoutMs: number, check: () => Promise<boolean>): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await check().catch(() => false)) return;
    if (Date.now() > deadline) throw new Error(`${what} within ${timeoutMs} ms`);
    await new Promise((done) => setTimeout(done, 100));
  }
}

/** Starts the cluster, or says why it cannot (no binaries, a start that failed). */
export async function startBenchCluster(): Promise<BenchCluster> {
  const server = which("redis-server");
  const cli = which("redis-cli");
  if (!server || !cli) return { unavailable: "no redis-server or redis-cli on PATH" };
  const dir = mkdtempSync(join(tmpdir(), "tg-bench-cluster-"));
  const children: ChildProcess[] = [];
  const stop = async () => {
    await Promise.all(
      children.map(
        (child) =>
          new Promise<void>((done) => {
            if (child.exitCode !== null || child.signalCode !== null) return done();
            child.once("exit", () => done());
            child.kill("SIGKILL");
          }),
      ),
    );
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    const taken = new Set<number>();
    const ports: number[] = [];
    for (let i = 0; i < 6; i++) ports.push(await freePortPair(taken));
    for (const port of ports) {
      const nodeDir = join(dir, String(port));
      mkdirSync(nodeDir);
      children.push(
        spawn(
          server,
          [
            "--port",
            String(port),
            "--bind",
            HOST,
            "--save",
            "",
            "--appendonly",
            "no",
            "--dir",
            nodeDir,
            "--cluster-enabled",
            "yes",
            "--cluster-config-file",
            "nodes.conf",
            "--cluster-node-timeout",
            "5000",
          ],
          { stdio: "ignore" },
        ),
      );
    }
    for (const port of ports)
      await until(`node ${port} did not start`, 10_000, async () => canBind(port).then((free) => !free));
    await new Promise<void>((done, fail) =>
      execFile(
        cli,
        [
          "--cluster",
          "create",
          ...ports.map((p) => `${HOST}:${p}`),
          "--cluster-replicas",
          "1",
          "--cluster-yes",
        ],
        { timeout: 30_000 },
        (error, _stdout, stderr) =>
          error ? fail(new Error(`redis-cli --cluster create: ${stderr || error.message}`)) : done(),
      ),
    );
    await until("the cluster did not serve every slot", 20_000, async () => {
      for (const port of ports) {
        const text = await clusterInfo(port);
        if (!text.includes("cluster_state:ok") || !text.includes("cluster_slots_ok:16384")) return false;
      }
      return true;
    });
    return { url: `redis+cluster://${ports.map((p) => `${HOST}:${p}`).join(",")}`, stop };
  } catch (error) {
    await stop();
    return { unavailable: error instanceof Error ? error.message : String(error) };
  }
}
