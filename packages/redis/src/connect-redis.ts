/**
 * One URL for every Redis topology tokengate runs on, for the CLI's `--redis` and for applications
 * that configure Redis from the environment:
 *
 *   redis://[user:pass@]host:port[/db][?…]        one server (ioredis' own URL syntax)
 *   rediss://…                                   the same over TLS
 *   redis+cluster://[user:pass@]h1:p1,h2:p2[?keyPrefix=…]        a Redis Cluster (any startup nodes)
 *   redis+sentinel://[user:pass@]h1:p1,h2:p2/<masterName>[?db=N&sentinelPassword=…&keyPrefix=…]
 *
 * `rediss+cluster://` and `rediss+sentinel://` connect to the data nodes over TLS. User and password
 * are the data nodes'; a Sentinel's own password goes in `sentinelPassword`.
 */
import { Cluster, type ClusterOptions, Redis, type RedisOptions } from "ioredis";
import type { RedisClient } from "./redis-client";

export interface ConnectRedisOptions {
  /** Options for a single server or Sentinel-managed client, or for each node of a cluster. */
  readonly redisOptions?: Partial<RedisOptions>;
  /** Options for a cluster client (ignored for the other topologies). */
  readonly clusterOptions?: Partial<ClusterOptions>;
}

const TOPOLOGY = /^(rediss?)\+(cluster|sentinel):\/\/(?:([^@/?#]*)@)?([^/?#]+)(\/[^?#]*)?(\?[^#]*)?$/i;

/**
 * The defaults tokengate wants of the application's client. tokengate's own connections (the cache's
 * duplicates) are stricter still; these only keep the application's client from queueing a command
 * through a long outage.
 */
const CLIENT_DEFAULTS: Partial<RedisOptions> = { maxRetriesPerRequest: 1, connectTimeout: 2_000 };

/**
 * Topology changes (a failover, a resharding) are picked up every 2 s rather than ioredis' 5 s, so a
 * promoted replica serves sooner.
 */
const CLUSTER_DEFAULTS: Partial<ClusterOptions> = { slotsRefreshInterval: 2_000, slotsRefreshTimeout: 1_000 };

/**
 * Connects to the Redis a URL names (see the module comment for the schemes), configured for
 * tokengate. Throws a `TypeError` naming the problem for a URL it cannot read; the password is never
 * part of the message.
 *
 * @example
 * const redis = connectRedis(process.env.REDIS_URL ?? "redis+cluster://10.0.0.1:7000,10.0.0.2:7000");
 * createTokenGate({ store, directory, cache: tieredCache({ redis }) });
 */
export function connectRedis(url: string, options: ConnectRedisOptions = {}): RedisClient {
  if (typeof url !== "string") throw new TypeError("connectRedis: url must be a string");
  if (/^rediss?:\/\//i.test(url)) return new Redis(url, { ...CLIENT_DEFAULTS, ...options.redisOptions });
  const match = TOPOLOGY.exec(url);
  if (!match) {
    throw new TypeError(
      "connectRedis: url must start with redis://, rediss://, redis+cluster:// or redis+sentinel://",
    );
  }
  const [, scheme, topology, credentials, hostList, path, query] = match;
  const tls = scheme!.toLowerCase() === "rediss" ? { tls: {} } : {};
  const auth = parseCredentials(credentials);
  const nodes = parseHosts(hostList!, topology === "sentinel" ? 26379 : 6379);
  const params = new URLSearchParams(query ?? "");
  const keyPrefix = params.get("keyPrefix") ?? undefined;

  if (topology!.toLowerCase() === "cluster") {
    checkParams(params, ["keyPrefix"]);
    if (path && path !== "/") throw new TypeError("connectRedis: a cluster URL takes no path");
    return new Cluster(nodes, {
      ...CLUSTER_DEFAULTS,
      ...(keyPrefix === undefined ? {} : { keyPrefix }),
      ...options.clusterOptions,
      redisOptions: {
        ...CLIENT_DEFAULTS,
        ...auth,
        ...tls,
        ...options.clusterOptions?.redisOptions,
        ...options.redisOptions,
      },
    });
  }

  checkParams(params, ["db", "keyPrefix", "sentinelPassword", "sentinelUsername"]);
  const name = decodeURIComponent((path ?? "").replace(/^\//, ""));
  if (!name || name.includes("/")) {
    throw new TypeError("connectRedis: a sentinel URL ends with /<masterName>");
  }
  const db = params.get("db");
  if (db !== null && !/^[0-9]{1,5}$/.test(db)) throw new TypeError("connectRedis: db must be a number");
  const sentinelPassword = params.get("sentinelPassword");
  const sentinelUsername = params.get("sentinelUsername");
  return new Redis({
    ...CLIENT_DEFAULTS,
    sentinels: nodes,
    name,
    ...auth,
    ...(tls.tls ? { tls: {}, enableTLSForSentinelMode: true } : {}),
    ...(db === null ? {} : { db: Number(db) }),
    ...(keyPrefix === undefined ? {} : { keyPrefix }),
    ...(sentinelPassword === null ? {} : { sentinelPassword }),
    ...(sentinelUsername === null ? {} : { sentinelUsername }),
    ...options.redisOptions,
  });
}

function parseCredentials(credentials: string | undefined): { username?: string; password?: string } {
  if (!credentials) return {};
  const colon = credentials.indexOf(":");
  const user = decodeURIComponent(colon === -1 ? credentials : credentials.slice(0, colon));
  const password = colon === -1 ? "" : decodeURIComponent(credentials.slice(colon + 1));
  return { ...(user ? { username: user } : {}), ...(password ? { password } : {}) };
}

function parseHosts(list: string, defaultPort: number): { host: string; port: number }[] {
  return list.split(",").map((entry) => {
    // host, host:port, [v6], [v6]:port
    const found = /^(\[[^\]]+\]|[^:[\]]+)(?::([0-9]{1,5}))?$/.exec(entry.trim());
    const port = found?.[2] === undefined ? defaultPort : Number(found[2]);
    if (!found || port < 1 || port > 65_535) {
      throw new TypeError("connectRedis: hosts are host:port pairs separated by commas");
    }
    return { host: found[1]!.replace(/^\[|\]$/g, ""), port };
  });
}

function checkParams(params: URLSearchParams, allowed: readonly string[]): void {
  for (const key of params.keys()) {
    if (!allowed.includes(key)) {
      throw new TypeError(`connectRedis: unknown URL parameter (this topology takes ${allowed.join(", ")})`);
    }
  }
}
