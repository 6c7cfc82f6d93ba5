/**
 * A private npm registry for the consumer test: verdaccio 6.8 on 127.0.0.1 (6.10 wants Node 22),
 * its storage in a temporary folder, holding only what the test publishes. Consumer projects read
 * `@tokengate/*` from it through a scoped `.npmrc` line and everything else from the public
 * registry, the way a company points one scope at its own registry.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { freePort } from "@tokengate/test-support";
import { mustRun, type RunningProcess, startListening } from "./processes";

export interface LocalRegistry {
  /** `http://127.0.0.1:<port>/` */
  readonly url: string;
  /** The `.npmrc` line that sends the `@tokengate` scope here. */
  readonly scopeLine: string;
  publish(tarball: string): Promise<void>;
  stop(): Promise<void>;
}

const VERDACCIO = require.resolve("verdaccio/bin/verdaccio");

/** Starts verdaccio with a fresh storage under `dir`, and signs a publisher in. */
export async function startLocalRegistry(dir: string): Promise<LocalRegistry> {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}/`;
  mkdirSync(dir, { recursive: true });
  const config = join(dir, "verdaccio.yaml");
  writeFileSync(
    config,
    [
      `storage: ${join(dir, "storage")}`,
      "auth:",
      "  htpasswd:",
      `    file: ${join(dir, "htpasswd")}`,
      "    max_users: 10",
      // No uplinks: nothing is proxied, so a tokengate package can only come from what we publish.
      "uplinks: {}",
      "packages:",
      "  '@tokengate/*':",
      "    access: $all",
      "    publish: $authenticated",
      "    unpublish: $authenticated",
      "  '**':",
      "    access: $all",
      "log: { type: stdout, format: pretty, level: warn }",
      "",
    ].join("\n"),
  );
  const server: RunningProcess = await startListening(
    process.execPath,
    [VERDACCIO, "--config", config, "--listen", `127.0.0.1:${port}`],
    { cwd: dir, port, timeoutMs: 60_000 },
  );
  try {
    // npm's own login call: verdaccio's htpasswd plugin registers the user and answers a token.
    const response = await fetch(`${url}-/user/org.couchdb.user:tokengate-ci`, {
      method: "PUT",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ name: "tokengate-ci", password: "consumer-test", type: "user", roles: [] }),
    });
    const { token } = (await response.json()) as { token?: string };
    if (!response.ok || !token) throw new Error(`verdaccio refused the publisher: ${response.status}`);
    const publisherRc = join(dir, "publisher.npmrc");
    writeFileSync(publisherRc, `registry=${url}\n//127.0.0.1:${port}/:_authToken=${token}\n`);
    return {
      url,
      scopeLine: `@tokengate:registry=${url}`,
      async publish(tarball) {
        await mustRun("npm", ["publish", tarball, "--userconfig", publisherRc, "--registry", url], {
          cwd: dir,
          timeoutMs: 60_000,
        });
      },
      stop: () => server.stop(),
    };
  } catch (error) {
    await server.stop();
    throw error;
  }
}
