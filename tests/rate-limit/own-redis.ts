/**
 * A private redis-server for tests that stop Redis: the shared server on 6379 is never touched.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { once } from "node:events";
import { createServer } from "node:net";
import { redisServerPath } from "@tokengate/test-support";
import { Redis } from "ioredis";

async function freePort(): Promise<number> {
  const server = createServer();
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  const { port } = server.address() as { port: number };
  server.close();
  await once(server, "close");
  return port;
}

export interface OwnRedis {
  readonly url: string;
  readonly port: number;
  /** Kills the server (SIGKILL, as a crash would) and waits for it to exit. */
  kill(): Promise<void>;
}

export async function startOwnRedis(port?: number): Promise<OwnRedis> {
  const chosen = port ?? (await freePort());
  const child: ChildProcess = spawn(
    redisServerPath ?? "redis-server",
    ["--port", String(chosen), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
    { stdio: "ignore" },
  );
  const url = `redis://127.0.0.1:${chosen}`;
  // Wait until it answers: ioredis retries the connection until the server is listening.
  const probe = new Redis(url, { retryStrategy: () => 20, maxRetriesPerRequest: null });
  await probe.ping();
  probe.disconnect();
  return {
    url,
    port: chosen,
    async kill() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = once(child, "exit");
      child.kill("SIGKILL");
      await exited;
    },
  };
}
