#!/usr/bin/env node
/**
 * Runs every jest suite against real services. Redis and PostgreSQL are taken from the machine when
 * they answer; otherwise a `redis-server` found on PATH is started on a free port for this run.
 * What is still missing is announced in one loud line and listed in TOKENGATE_TEST_MISSING, so the
 * suites that need it are skipped whole (or fail, under CI=true). Extra arguments go to jest.
 */
import { spawn, spawnSync } from "node:child_process";
import { createServer, Socket } from "node:net";

const env = { ...process.env };
const redisUrl = env.TOKENGATE_TEST_REDIS_URL ?? "redis://127.0.0.1:6379";
const postgresUrl = env.TOKENGATE_TEST_POSTGRES_URL ?? "postgres://postgres@127.0.0.1:5432/test";

function reachable(url, defaultPort) {
  const { hostname, port } = new URL(url);
  return new Promise((resolve) => {
    const s = new Socket();
    const done = (ok) => {
      s.destroy();
      resolve(ok);
    };
    s.setTimeout(1000, () => done(false));
    s.once("error", () => done(false));
    s.connect(Number(port || defaultPort), hostname, () => done(true));
  });
}

function freePort() {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

const missing = [];
let ownRedis;
if (!(await reachable(redisUrl, 6379))) {
  const found = spawnSync("sh", ["-c", "command -v redis-server"], { encoding: "utf8" }).stdout.trim();
  if (found) {
    const port = await freePort();
    ownRedis = spawn(
      found,
      ["--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
      {
        stdio: "ignore",
      },
    );
    for (let i = 0; i < 50 && !(await reachable(`redis://127.0.0.1:${port}`, port)); i++) {
      await new Promise((r) => setTimeout(r, 100));
    }
    env.TOKENGATE_TEST_REDIS_URL = `redis://127.0.0.1:${port}`;
    console.log(`[services] started ${found} on 127.0.0.1:${port} for this run`);
  } else {
    missing.push("redis");
    console.warn(
      `\n!!! [services] Redis is not reachable at ${redisUrl} and no redis-server is on PATH: Redis suites ${env.CI === "true" ? "FAIL (CI=true)" : "are SKIPPED"}\n`,
    );
  }
} else {
  env.TOKENGATE_TEST_REDIS_URL = redisUrl;
}
if (!(await reachable(postgresUrl, 5432))) {
  missing.push("postgres");
  console.warn(
    `\n!!! [services] PostgreSQL is not reachable at ${postgresUrl.replace(/\/\/[^@]*@/, "//")}: PostgreSQL suites ${env.CI === "true" ? "FAIL (CI=true)" : "are SKIPPED"}\n`,
  );
} else {
  env.TOKENGATE_TEST_POSTGRES_URL = postgresUrl;
}

env.TOKENGATE_TEST_MISSING = missing.join(",");

const jest = spawn(process.execPath, ["node_modules/jest/bin/jest.js", ...process.argv.slice(2)], {
  env,
  stdio: "inherit",
});
const code = await new Promise((resolve) => jest.on("exit", (c, signal) => resolve(c ?? (signal ? 1 : 0))));
ownRedis?.kill();
process.exit(code);
