/**
 * A private redis-server for tests that stop Redis, under the names tests/conformance imports:
 * the one implementation is `startPrivateRedis` in `@tokengate/test-support`. New code imports
 * that; this file goes once tests/conformance does too.
 */
export { type PrivateRedis as OwnRedis, startPrivateRedis as startOwnRedis } from "@tokengate/test-support";
