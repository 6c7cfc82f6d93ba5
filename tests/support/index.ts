/**
 * `@tokengate/test-support`: what the workspace's suites share, imported by name from every
 * package's tests and from `tests/`. Private: never published, never imported by a package's `src`.
 *
 * - credential-fixtures: a shared store and a controllable lookup source for the cache suites;
 * - services: where the real Redis and PostgreSQL are, and the gate for suites that need them;
 * - browser: Debian's Chromium through playwright-core, and its gate;
 * - documenso: Documenso's own schema (both layouts) and rows written the way Documenso writes them;
 * - fleet: several gate instances in child processes or in-process, sharing Redis;
 * - cuttable-proxy: a TCP proxy a test can cut, to fail a dependency mid-request;
 * - openapi-validator: the OpenAPI 3.1 schema check, run in a child process;
 * - topologies: a redis-server, a Redis Cluster or a Sentinel group of the caller's own, from the
 *   binaries on PATH
 *   (also importable alone as `@tokengate/test-support/topologies`, as the benchmark does).
 */
export { CHROMIUM_PATH, describeWithChromium, launchChromium, SCREENSHOT_DIR } from "./browser";
export { ControlledSource, eventually, sharedStore } from "./credential-fixtures";
export { type CuttableProxy, startCuttableProxy } from "./cuttable-proxy";
export * from "./documenso/fixture";
export * from "./documenso/rows";
export { freePort } from "./free-port";
export { describeWhenAvailable } from "./gated";
export { type OpenApiVerdict, validateOpenApi } from "./openapi-validator";
export {
  describeWithServices,
  postgresUrl,
  redisCliPath,
  redisServerPath,
  redisUrl,
  type TestService,
} from "./services";
export {
  ask,
  CLUSTER_NODE_TIMEOUT_MS,
  type ClusterOptions,
  type ClusterTopology,
  type PrivateRedis,
  type RedisNode,
  SENTINEL_DOWN_AFTER_MS,
  SENTINEL_FAILOVER_TIMEOUT_MS,
  SENTINEL_MASTER_NAME,
  type SentinelTopology,
  startCluster,
  startPrivateRedis,
  startSentinelGroup,
} from "./topologies";
