/**
 * `tokengate serve`: opens the gate on the store (and Redis), seeds the demo users, and serves the
 * demo app of the chosen framework; prints the banner with the logins and the curl commands to try.
 */
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import type { Logger } from "@tokengate/core";
import { REDIS_WAIT_MS } from "../deadline";
import { createDemoListener, type DemoFramework } from "../demo/listener";
import {
  curlBaseUrl,
  DEMO_ADMIN_PATH,
  DEMO_TEAMS,
  DEMO_USERS,
  demoInstructions,
  failedAttemptsInstructions,
  seedDemoDirectory,
} from "../demo/setup";
import { DEMO_FAILED_ATTEMPTS, openGate } from "../open-gate";
import { shellWord } from "../shell-word";
import { describeLocation } from "../store-location";

export interface ServeOptions {
  readonly framework: DemoFramework;
  readonly host: string;
  /** 0 picks a free port; the real one is in the result. */
  readonly port: number;
  readonly storeUrl: string;
  readonly redisUrl?: string | undefined;
  readonly baseDir: string;
  readonly logger: Logger;
  /** True when `--store` was given: the printed CLI hints then say to pass the same options. */
  readonly storeGiven?: boolean;
  /** How the printed hints invoke the CLI, e.g. `tokengate` or `node packages/cli/bin/tokengate.cjs`. */
  readonly cliCommand?: string;
}

/** A listening demo server. */
export interface RunningDemo {
  readonly server: Server;
  /** The base URL a client on this machine uses, with the real port. */
  readonly url: string;
  /** What to print: where it listens, the demo logins, and the curl commands to try. */
  readonly banner: string;
  /** Stops accepting, ends open connections, writes pending last-used times, closes the store. */
  close(): Promise<void>;
}

function listen(server: Server, port: number, host: string): Promise<AddressInfo> {
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => {
      server.off("error", reject);
      resolve(server.address() as AddressInfo);
    });
  });
}

/** Starts the demo API: seeds the demo users on first start, mounts the admin router and `/api/v1/me`. */
export async function startDemo(options: ServeOptions): Promise<RunningDemo> {
  const { gate, opened, cache, close } = await openGate({
    storeUrl: options.storeUrl,
    redisUrl: options.redisUrl,
    baseDir: options.baseDir,
    logger: options.logger,
    purpose: "server",
  });
  let server: Server;
  let address: AddressInfo;
  try {
    const seeded = await seedDemoDirectory(opened.directory);
    // Listen for invalidations before taking requests; if Redis is away the cache reads the store.
    if (cache && !(await cache.ready(REDIS_WAIT_MS))) {
      options.logger.warn("Redis is not reachable yet: serving from the store until it is");
    }
    server = createServer(createDemoListener(options.framework, gate));
    address = await listen(server, options.port, options.host);
    const url = curlBaseUrl(options.host, address.port);
    const users = DEMO_USERS.map((u) => {
      const roles = DEMO_TEAMS.flatMap((t) =>
        t.members.filter((m) => m.userId === u.id).map((m) => `${t.name} ${m.role}`),
      );
      return `${u.login}:${u.password} (user ${u.id}${roles.length ? `, ${roles.join(", ")}` : ""}${u.disabled ? ", disabled" : ""})`;
    });
    // The terminal's commands must name the same store and, above all, the same Redis: a server
    // that caches in Redis only hears of a revocation that is published there.
    const cli = options.cliCommand ?? "tokengate";
    const sameOptions = [
      options.storeGiven ? ` --store ${shellWord(options.storeUrl, "<the --store URL>")}` : "",
      options.redisUrl ? ` --redis ${shellWord(options.redisUrl, "<the --redis URL>")}` : "",
    ].join("");
    const banner = [
      `tokengate demo (${options.framework}) listening on ${url}`,
      `store: ${describeLocation(opened.location)}${seeded ? " (seeded the demo users and teams)" : ""}`,
      `cache: ${options.redisUrl ? "in-process LRU and Redis, invalidated over Redis pub/sub" : "none (every request reads the store)"}`,
      `failed attempts: ${DEMO_FAILED_ATTEMPTS.maxFailures} per address per ${DEMO_FAILED_ATTEMPTS.windowSeconds} s, counted ${options.redisUrl ? "in Redis, shared by every server" : "in this process"}; then 429`,
      `logins: ${users.join("; ")}`,
      `token page: ${url}${DEMO_ADMIN_PATH}/ui (open it in a browser and sign in with a login above)`,
      `openapi: ${url}${DEMO_ADMIN_PATH}/openapi.json (the admin API's OpenAPI 3.1 document; also: ${cli} openapi)`,
      "",
      demoInstructions(url),
      "",
      "# Then revoke it from another terminal and call again: it is refused at once.",
      `#   ${cli} token list --user 1${sameOptions}`,
      `#   ${cli} token revoke <id>${sameOptions}`,
      "",
      failedAttemptsInstructions(url, DEMO_FAILED_ATTEMPTS),
      "",
    ].join("\n");
    return {
      server,
      url,
      banner,
      async close() {
        const closed = new Promise<void>((resolve) => server.close(() => resolve()));
        server.closeAllConnections();
        await closed;
        await close();
      },
    };
  } catch (error) {
    await close();
    throw error;
  }
}
