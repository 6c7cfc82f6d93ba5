/**
 * The invalidation transport for one process, which needs no server: there is no other instance to
 * tell. The transports that speak to a server live with it (`@tokengate/redis`,
 * `@tokengate/postgres`, `@tokengate/sqlite`).
 */
import { assertFirstAttach, type InvalidationSink, type InvalidationTransport } from "@tokengate/core";

/**
 * For a single process: there is no other instance to tell. Use it only when exactly one process
 * serves the store, or revocations made elsewhere will not reach this process's LRU until its TTL.
 *
 * @example
 * tieredCache({ invalidation: localInvalidation() })
 */
export function localInvalidation(): InvalidationTransport {
  let sink: InvalidationSink | undefined;
  return {
    name: "local",
    connected: true,
    attach(s) {
      assertFirstAttach("localInvalidation", sink);
      sink = s;
      s.restored();
    },
    async publish() {},
    async close() {},
  };
}
