/**
 * Redis topologies started from the `redis-server` and `redis-cli` on PATH, for the suites that
 * kill or fail over Redis (tests/revocation, tests/rate-limit, tests/scale-out) and the benchmark's
 * cluster rows (benchmarks/src/cluster.ts): one plain server, a Redis Cluster of 3 masters and
 * 3 replicas, and a Sentinel group (1 master, 1 replica, 3 sentinels).
 * Every server listens on a free loopback port chosen at run time, keeps its files in a temporary
 * directory, and has no persistence; the machine's shared Redis is never touched.
 *
 * The benchmark imports this file alone (`@tokengate/test-support/topologies`), so it pulls in
 * nothing but ioredis and `./services`: no pg, no playwright.
 *
 * Failover is tuned to be fast but not hair-trigger, so a busy 2-core machine does not fail over
 * by itself:
 * - Cluster: `cluster-node-timeout 1500` by default (a master unreachable that long is marked
 *   failing, and its replica is elected after a random 0.5-1 s delay; the benchmark, which never
 *   fails over, asks for 5000), `cluster-replica-validity-factor 0` (a replica may always take over).
 * - Sentinel: `down-after-milliseconds 1000`, `failover-timeout 3000`, quorum 2 of 3.
 *
 * `stop()` kills every process this module started (and a process exit hook SIGKILLs any left, so a
 * crashed test run leaves no servers behind) and removes the directory.
 */
import { type ChildProcess, execFile, spawn } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Redis } from "ioredis";
import { redisCliPath, redisServerPath } from "./services";

const REDIS_SERVER = redisServerPath ?? "redis-server";
const REDIS_CLI = redisCliPath ?? "redis-cli";
const HOST = "127.0.0.1";

export const CLUSTER_NODE_TIMEOUT_MS = 1500;
export const SENTINEL_DOWN_AFTER_MS = 1000;
export const SENTINEL_FAILOVER_TIMEOUT_MS = 3000;
export const SENTINEL_MASTER_NAME = "tgmaster";

/** One redis-server (or sentinel) process. */
export interface RedisNode {
  readonly port: number;
  readonly role: string;
  /** True until it was killed or exited. */
  alive(): boolean;
  /** SIGKILL, as a crash would: the sockets close at once. Resolves once it has exited. */
  kill(): Promise<void>;
  /** SIGSTOP: the process is frozen (its sockets stay open but nothing is read or replicated). */
  pause(): void;
  /** SIGCONT after `pause`. */
  resume(): void;
  /** The last lines it logged, for failure messages. */
  log(): string;
}

const running = new Set<ChildProcess>();
let exitHook = false;

/** A crashed or interrupted run must not leave servers behind: SIGKILL whatever is still ours. */
function ensureExitHook(): void {
  if (exitHook) return;
  exitHook = true;
  process.once("exit", () => {
    for (const child of running) child.kill("SIGKILL");
  });
}

function exited(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((done) => child.once("exit", () => done()));
}

function canBind(port: number): Promise<boolean> {
  return new Promise((done) => {
    const server = createServer();
    server.once("error", () => done(false));
    server.listen(port, HOST, () => server.close(() => done(true)));
  });
}

/**
 * A free port whose `port + 10000` (the cluster bus port) is free too. Chosen below the ephemeral
 * range, so an outgoing connection is unlikely to take it between this check and the server's bind.
 */
async function freePortPair(taken: Set<number>): Promise<number> {
  for (let attempt = 0; attempt < 200; attempt++) {
    const port = 20_000 + Math.floor(Math.random() * 12_000);
    if (taken.has(port) || taken.has(port + 10_000)) continue;
    if ((await canBind(port)) && (await canBind(port + 10_000))) {
      taken.add(port);
      taken.add(port + 10_000);
      return port;
    }
  }
  throw new Error("no free loopback port pair found");
}

/**
 * Throws, naming what is missing, when a binary is not on PATH: the suites gate on
 * "redis-topologies" before they get here; the benchmark reports the message as "unavailable".
 */
function requireBinaries(names: ReadonlyArray<"redis-server" | "redis-cli">): void {
  const found = { "redis-server": redisServerPath, "redis-cli": redisCliPath };
  const absent = names.filter((name) => found[name] === undefined);
  if (absent.length > 0) throw new Error(`no ${absent.join(" or ")} on PATH`);
}

function sleep(ms: number): Promise<void> {
  return new Promise((done) => setTimeout(done, ms));
}

/** Polls `check` until it returns true or `timeoutMs` passes; throws with `what` and the last error. */
async function until(what: string, timeoutMs: number, check: () => Promise<boolean>): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      if (await check()) return;
    } catch (error) {
      last = error;
    }
    if (Date.now() > deadline) {
      throw new Error(`${what} within ${timeoutMs} ms${last ? ` (last error: ${String(last)})` : ""}`);
    }
    await sleep(100);
  }
}

/** One command on a fresh connection to one node (probes must not queue on a dead server). */
export async function ask(port: number, ...args: string[]): Promise<unknown> {
  const client = new Redis({
    host: HOST,
    port,
    lazyConnect: true,
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
    connectTimeout: 1000,
    commandTimeout: 2000,
  });
  client.on("error", () => {});
  try {
    await client.connect();
    const [command, ...rest] = args;
    return await client.call(command!, ...rest);
  } finally {
    client.disconnect();
  }
}

/** `INFO <section>` (or `CLUSTER INFO` for "cluster") as a map of fields. */
async function info(port: number, section: string): Promise<Map<string, string>> {
  const command = section === "cluster" ? ["CLUSTER", "INFO"] : ["INFO", section];
  const text = String(await ask(port, ...command));
  return new Map(
    text
      .split(/\r?\n/)
      .filter((line) => line.includes(":"))
      .map((line) => [line.slice(0, line.indexOf(":")), line.slice(line.indexOf(":") + 1).trim()]),
  );
}

function startNode(port: number, role: string, args: readonly string[]): Promise<RedisNode> {
  ensureExitHook();
  const child = spawn(REDIS_SERVER, [...args], { stdio: ["ignore", "pipe", "pipe"] });
  running.add(child);
  child.once("exit", () => running.delete(child));
  let output = "";
  const keep = (chunk: Buffer) => {
    output = (output + chunk.toString()).slice(-4000);
  };
  child.stdout!.on("data", keep);
  child.stderr!.on("data", keep);
  const node: RedisNode = {
    port,
    role,
    alive: () => child.exitCode === null && child.signalCode === null,
    async kill() {
      child.kill("SIGKILL");
      await exited(child);
    },
    pause: () => {
      child.kill("SIGSTOP");
    },
    resume: () => {
      child.kill("SIGCONT");
    },
    log: () => output,
  };
  return until(`${role} on ${port} did not answer PING`, 10_000, async () => {
    if (!node.alive()) throw new Error(`${role} exited: ${output}`);
    return (await ask(port, "PING")) === "PONG";
  }).then(
    () => node,
    async (error: unknown) => {
      await node.kill();
      throw error;
    },
  );
}

/** Options every data node shares: no persistence, fast full syncs. */
const DATA_NODE_ARGS = [
  "--bind",
  HOST,
  "--save",
  "",
  "--appendonly",
  "no",
  "--daemonize",
  "no",
  "--repl-diskless-sync",
  "yes",
  "--repl-diskless-sync-delay",
  "0",
];

function run(file: string, args: readonly string[], timeoutMs: number): Promise<string> {
  return new Promise((done, fail) => {
    execFile(file, [...args], { timeout: timeoutMs, encoding: "utf8" }, (error, stdout, stderr) => {
      if (error) fail(new Error(`${file} ${args.join(" ")} failed: ${error.message}\n${stdout}\n${stderr}`));
      else done(stdout);
    });
  });
}

async function stopAll(nodes: readonly RedisNode[], dir: string): Promise<void> {
  await Promise.all(nodes.map((node) => node.kill()));
  rmSync(dir, { recursive: true, force: true });
}

// ---- One server --------------------------------------------------------------------------------

/** A plain redis-server of the caller's own: no persistence, so a restart comes back empty. */
export interface PrivateRedis extends RedisNode {
  /** `redis://127.0.0.1:<port>`. */
  readonly url: string;
  /** Starts it again on the same port (after `kill`), as a fresh empty server. */
  restart(): Promise<void>;
  /** The end of a test: SIGKILL too (nothing to keep), resolved once it has exited. */
  stop(): Promise<void>;
}

/**
 * Starts a redis-server on `port` (a free one when left out) and resolves once it answers PING.
 * For suites that kill Redis mid-test without touching the machine's shared server.
 */
export async function startPrivateRedis(port?: number): Promise<PrivateRedis> {
  requireBinaries(["redis-server"]);
  const chosen = port ?? (await freePortPair(new Set()));
  const start = () => startNode(chosen, "redis-server", ["--port", String(chosen), ...DATA_NODE_ARGS]);
  let node = await start();
  return {
    port: chosen,
    role: node.role,
    url: `redis://${HOST}:${chosen}`,
    alive: () => node.alive(),
    kill: () => node.kill(),
    pause: () => node.pause(),
    resume: () => node.resume(),
    log: () => node.log(),
    async restart() {
      node = await start();
    },
    stop: () => node.kill(),
  };
}

// ---- Cluster ----------------------------------------------------------------------------------

export interface ClusterTopology {
  /** `redis+cluster://h:p,h:p,…` over the three masters it started with. */
  readonly url: string;
  readonly nodes: readonly RedisNode[];
  /** The node serving `slot` as master now (asked of any live node). */
  masterOf(slot: number): Promise<RedisNode>;
  /** The (first) replica of `master`, as the master reports it. */
  replicaOf(master: RedisNode): Promise<RedisNode>;
  /** The live masters holding at least one key that matches `pattern`. */
  mastersHolding(pattern: string): Promise<RedisNode[]>;
  /**
   * Resolves once no slot is served by `dead` any more and every live node says cluster_state:ok:
   * a replica has been promoted in its place.
   */
  untilPromotedOver(dead: RedisNode, timeoutMs: number): Promise<void>;
  stop(): Promise<void>;
}

async function allSlotsServed(nodes: readonly RedisNode[]): Promise<boolean> {
  const live = nodes.filter((node) => node.alive());
  for (const node of live) {
    const fields = await info(node.port, "cluster");
    if (fields.get("cluster_state") !== "ok" || fields.get("cluster_slots_ok") !== "16384") return false;
  }
  return true;
}

export interface ClusterOptions {
  /** `cluster-node-timeout`: how long a master may be unreachable before it is failed over. */
  readonly nodeTimeoutMs?: number;
}

/** Starts 6 cluster nodes, joins them with `redis-cli --cluster create` (3 masters, 1 replica each). */
export async function startCluster(options: ClusterOptions = {}): Promise<ClusterTopology> {
  const nodeTimeoutMs = options.nodeTimeoutMs ?? CLUSTER_NODE_TIMEOUT_MS;
  if (!Number.isInteger(nodeTimeoutMs) || nodeTimeoutMs <= 0)
    throw new TypeError("startCluster: `nodeTimeoutMs` must be a positive whole number of milliseconds");
  requireBinaries(["redis-server", "redis-cli"]);
  const dir = mkdtempSync(join(tmpdir(), "tg-cluster-"));
  const taken = new Set<number>();
  const ports: number[] = [];
  for (let i = 0; i < 6; i++) ports.push(await freePortPair(taken));
  const nodes: RedisNode[] = [];
  try {
    nodes.push(
      ...(await Promise.all(
        ports.map((port) => {
          const nodeDir = join(dir, String(port));
          mkdirSync(nodeDir);
          return startNode(port, "cluster node", [
            "--port",
            String(port),
            ...DATA_NODE_ARGS,
            "--dir",
            nodeDir,
            "--cluster-enabled",
            "yes",
            "--cluster-config-file",
            "nodes.conf",
            "--cluster-node-timeout",
            String(nodeTimeoutMs),
            "--cluster-replica-validity-factor",
            "0",
          ]);
        }),
      )),
    );
    await run(
      REDIS_CLI,
      [
        "--cluster",
        "create",
        ...ports.map((p) => `${HOST}:${p}`),
        "--cluster-replicas",
        "1",
        "--cluster-yes",
      ],
      30_000,
    );
    await until("the cluster did not serve every slot on every node", 20_000, async () => {
      for (const node of nodes) {
        const fields = await info(node.port, "cluster");
        if (fields.get("cluster_state") !== "ok" || fields.get("cluster_slots_ok") !== "16384") return false;
        if (fields.get("cluster_known_nodes") !== "6") return false;
        const replication = await info(node.port, "replication");
        if (replication.get("role") === "slave" && replication.get("master_link_status") !== "up")
          return false;
      }
      return true;
    });
  } catch (error) {
    await stopAll(nodes, dir);
    throw error;
  }

  const byPort = new Map(nodes.map((node) => [node.port, node]));
  const masters: number[] = [];
  for (const node of nodes) {
    if ((await info(node.port, "replication")).get("role") === "master") masters.push(node.port);
  }

  const anyLive = () => {
    const live = nodes.find((node) => node.alive());
    if (!live) throw new Error("no cluster node is alive");
    return live;
  };

  return {
    url: `redis+cluster://${masters.map((p) => `${HOST}:${p}`).join(",")}`,
    nodes,
    async masterOf(slot) {
      const ranges = (await ask(anyLive().port, "CLUSTER", "SLOTS")) as Array<
        [number, number, [string, number]]
      >;
      const range = ranges.find(([from, to]) => slot >= from && slot <= to);
      if (!range) throw new Error(`slot ${slot} is not served`);
      const node = byPort.get(Number(range[2][1]));
      if (!node) throw new Error(`slot ${slot} is served by an unknown port ${range[2][1]}`);
      return node;
    },
    async replicaOf(master) {
      const port = /^slave0:.*port=(\d+)/m.exec(String(await ask(master.port, "INFO", "replication")))?.[1];
      const node = port === undefined ? undefined : byPort.get(Number(port));
      if (!node) throw new Error(`the master on ${master.port} reports no known replica`);
      return node;
    },
    async mastersHolding(pattern) {
      const holding: RedisNode[] = [];
      for (const node of nodes.filter((n) => n.alive())) {
        if ((await info(node.port, "replication")).get("role") !== "master") continue;
        let cursor = "0";
        let found = false;
        do {
          const [next, keys] = (await ask(node.port, "SCAN", cursor, "MATCH", pattern, "COUNT", "1000")) as [
            string,
            string[],
          ];
          cursor = next;
          if (keys.length > 0) found = true;
        } while (cursor !== "0" && !found);
        if (found) holding.push(node);
      }
      return holding;
    },
    untilPromotedOver: (dead, timeoutMs) =>
      until(`no replica took over the slots of ${dead.port}`, timeoutMs, async () => {
        const ranges = (await ask(anyLive().port, "CLUSTER", "SLOTS")) as Array<
          [number, number, [string, number]]
        >;
        if (ranges.some((range) => Number(range[2][1]) === dead.port)) return false;
        return allSlotsServed(nodes);
      }),
    stop: () => stopAll(nodes, dir),
  };
}

// ---- Sentinel ---------------------------------------------------------------------------------

export interface SentinelTopology {
  /** `redis+sentinel://h:p,h:p,h:p/<masterName>` over the three sentinels. */
  readonly url: string;
  readonly masterName: string;
  readonly master: RedisNode;
  readonly replica: RedisNode;
  readonly sentinels: readonly RedisNode[];
  /** The master's port as the first live sentinel reports it now. */
  currentMasterPort(): Promise<number>;
  /** Resolves once the sentinels report a master other than `port` and it answers as a master. */
  untilMasterIsNot(port: number, timeoutMs: number): Promise<void>;
  stop(): Promise<void>;
}

/** Starts a master, a replica of it, and three sentinels watching it, and waits until they agree. */
export async function startSentinelGroup(): Promise<SentinelTopology> {
  requireBinaries(["redis-server"]);
  const dir = mkdtempSync(join(tmpdir(), "tg-sentinel-"));
  const taken = new Set<number>();
  const masterPort = await freePortPair(taken);
  const replicaPort = await freePortPair(taken);
  const sentinelPorts = [await freePortPair(taken), await freePortPair(taken), await freePortPair(taken)];
  const nodes: RedisNode[] = [];
  try {
    const dataNode = (port: number, role: string, extra: string[]) => {
      const nodeDir = join(dir, String(port));
      mkdirSync(nodeDir);
      return startNode(port, role, ["--port", String(port), ...DATA_NODE_ARGS, "--dir", nodeDir, ...extra]);
    };
    const master = await dataNode(masterPort, "sentinel master", []);
    nodes.push(master);
    const replica = await dataNode(replicaPort, "sentinel replica", [
      "--replicaof",
      HOST,
      String(masterPort),
    ]);
    nodes.push(replica);
    const sentinels = await Promise.all(
      sentinelPorts.map((port) => {
        // Sentinel rewrites its configuration file: each gets one of its own.
        const file = join(dir, `sentinel-${port}.conf`);
        writeFileSync(
          file,
          [
            `port ${port}`,
            `bind ${HOST}`,
            `dir ${dir}`,
            `sentinel monitor ${SENTINEL_MASTER_NAME} ${HOST} ${masterPort} 2`,
            `sentinel down-after-milliseconds ${SENTINEL_MASTER_NAME} ${SENTINEL_DOWN_AFTER_MS}`,
            `sentinel failover-timeout ${SENTINEL_MASTER_NAME} ${SENTINEL_FAILOVER_TIMEOUT_MS}`,
            `sentinel parallel-syncs ${SENTINEL_MASTER_NAME} 1`,
            "",
          ].join("\n"),
        );
        return startNode(port, "sentinel", [file, "--sentinel"]);
      }),
    );
    nodes.push(...sentinels);
    await until("the replica did not sync with the master", 15_000, async () => {
      return (await info(replicaPort, "replication")).get("master_link_status") === "up";
    });
    // Sentinels find each other through hello messages every 2 s; a failover needs a majority of them.
    await until("the sentinels did not agree on the master, its replica and each other", 20_000, async () => {
      for (const port of sentinelPorts) {
        const address = (await ask(port, "SENTINEL", "GET-MASTER-ADDR-BY-NAME", SENTINEL_MASTER_NAME)) as
          | [string, string]
          | null;
        if (!address || Number(address[1]) !== masterPort) return false;
        const peers = (await ask(port, "SENTINEL", "SENTINELS", SENTINEL_MASTER_NAME)) as unknown[];
        if (peers.length !== 2) return false;
        const replicas = (await ask(port, "SENTINEL", "REPLICAS", SENTINEL_MASTER_NAME)) as string[][];
        const ok = replicas.some((fields) => {
          const at = (name: string) => fields[fields.indexOf(name) + 1];
          return Number(at("port")) === replicaPort && at("flags") === "slave";
        });
        if (!ok) return false;
      }
      return true;
    });
    const currentMasterPort = async () => {
      const sentinel = sentinels.find((s) => s.alive());
      if (!sentinel) throw new Error("no sentinel is alive");
      const address = (await ask(
        sentinel.port,
        "SENTINEL",
        "GET-MASTER-ADDR-BY-NAME",
        SENTINEL_MASTER_NAME,
      )) as [string, string];
      return Number(address[1]);
    };
    return {
      url: `redis+sentinel://${sentinelPorts.map((p) => `${HOST}:${p}`).join(",")}/${SENTINEL_MASTER_NAME}`,
      masterName: SENTINEL_MASTER_NAME,
      master,
      replica,
      sentinels,
      currentMasterPort,
      untilMasterIsNot: (port, timeoutMs) =>
        until(`the sentinels did not promote a replica of ${port}`, timeoutMs, async () => {
          const now = await currentMasterPort();
          return now !== port && (await info(now, "replication")).get("role") === "master";
        }),
      stop: () => stopAll(nodes, dir),
    };
  } catch (error) {
    await stopAll(nodes, dir);
    throw error;
  }
}
