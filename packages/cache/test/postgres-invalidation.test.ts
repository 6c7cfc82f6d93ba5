import { randomUUID } from "node:crypto";
import { silentLogger } from "@tokengate/core";
import { postgresInvalidation } from "@tokengate/postgres";
import {
  ControlledSource,
  describeWithServices,
  eventually,
  postgresUrl,
  sharedStore,
} from "@tokengate/test-support";
import pg from "pg";
import { type TieredCredentialCache, tieredCache } from "../src";

describeWithServices(["postgres"], "tieredCache with LISTEN/NOTIFY and no Redis", () => {
  const channel = `tokengate_test_${randomUUID().replaceAll("-", "")}`;
  const appName = `tg-listen-${randomUUID().slice(0, 8)}`;
  const pools: pg.Pool[] = [];
  const caches: TieredCredentialCache[] = [];

  async function instance(source: ControlledSource) {
    const pool = new pg.Pool({ connectionString: postgresUrl, application_name: appName, max: 2 });
    pools.push(pool);
    const cache = tieredCache({
      invalidation: postgresInvalidation(pool, { channel }),
      logger: silentLogger,
    })(source);
    caches.push(cache);
    await cache.whenHealthy();
    return cache;
  }

  afterEach(async () => {
    await Promise.all(caches.splice(0).map((c) => c.close()));
    await Promise.all(pools.splice(0).map((p) => p.end()));
  });

  // A revocation through one instance reaching the others' LRU is a case of the CredentialCache
  // conformance suite (tests/conformance/credential-cache.test.ts), run with this transport too.

  it("losing the listening connection bypasses the LRU until it is back", async () => {
    const { store, issue, source } = await sharedStore();
    const { record, digest } = await issue("pg2", "api_qqqqqqqqqqqqqqqq");
    const counted = new ControlledSource(source);
    const b = await instance(counted);
    await b.lookup(digest);
    await b.lookup(digest);
    expect(counted.calls).toBe(1);

    const admin = new pg.Client({ connectionString: postgresUrl });
    await admin.connect();
    try {
      await admin.query(
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = $1 AND query LIKE 'LISTEN%'",
        [appName],
      );
    } finally {
      await admin.end();
    }
    await eventually(() => b.degraded);
    // A revocation made elsewhere now cannot reach B, so B asks the store, which refuses.
    await store.delete(record.id);
    expect(await b.lookup(digest)).toBeNull();
    await b.whenHealthy();
    expect(await b.lookup(digest)).toBeNull();
  });
});
