/**
 * A demo app exactly as `tokengate serve --framework <name>` mounts it, over a fresh in-memory
 * SQLite store seeded with the demo users: what the demo-app and fuzz suites attack.
 */
import type { RequestListener } from "node:http";
import { createDemoListener, DEMO_FRAMEWORKS, type DemoFramework, seedDemoDirectory } from "@tokengate/cli";
import { createTokenGate, type TokenGate } from "@tokengate/core";
import { openSqlite } from "@tokengate/sqlite";

export interface DemoApp {
  readonly app: RequestListener;
  readonly gate: TokenGate;
  close(): Promise<void>;
}

export const DEMOS = DEMO_FRAMEWORKS.map((name) => ({ name }));

export async function openDemoApp(framework: DemoFramework): Promise<DemoApp> {
  const sqlite = openSqlite(":memory:");
  await seedDemoDirectory(sqlite.directory);
  const gate = createTokenGate({
    store: sqlite.store,
    directory: sqlite.directory,
    usageFlushIntervalMs: false,
  });
  return {
    app: createDemoListener(framework, gate),
    gate,
    async close() {
      await gate.close();
      sqlite.close();
    },
  };
}
