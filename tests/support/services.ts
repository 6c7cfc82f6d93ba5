/**
 * Where the real Redis and PostgreSQL are for tests, and what to do when one is missing.
 *
 * `scripts/run-tests.mjs` (the test command) finds them and exports their URLs; running jest alone
 * falls back to the machine's defaults. A missing service skips its suites with one loud line,
 * except under CI=true, where it fails them: CI must never go green by skipping.
 */
import { Socket } from "node:net";

export const redisUrl = process.env.TOKENGATE_TEST_REDIS_URL ?? "redis://127.0.0.1:6379";
export const postgresUrl =
  process.env.TOKENGATE_TEST_POSTGRES_URL ?? "postgres://postgres@127.0.0.1:5432/test";

function reachable(url: string, defaultPort: number): Promise<boolean> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve) => {
    const socket = new Socket();
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(1000, () => done(false));
    socket.once("error", () => done(false));
    socket.connect(Number(port || defaultPort), hostname, () => done(true));
  });
}

const probes = new Map<string, Promise<boolean>>();

function probe(name: "redis" | "postgres"): Promise<boolean> {
  let p = probes.get(name);
  if (!p) {
    p = name === "redis" ? reachable(redisUrl, 6379) : reachable(postgresUrl, 5432);
    probes.set(name, p);
  }
  return p;
}

/**
 * `describe` for a suite that needs real services. When one is down: under CI=true the suite fails
 * with the reason; elsewhere it is skipped with one loud line saying why.
 */
export function describeWithServices(
  services: ReadonlyArray<"redis" | "postgres">,
  name: string,
  body: () => void,
): void {
  describe(name, () => {
    let missing: string[] = [];
    beforeAll(async () => {
      missing = [];
      for (const s of services) if (!(await probe(s))) missing.push(s);
      if (missing.length > 0) {
        const why = `${missing.join(" and ")} not reachable (${missing
          .map((m) => (m === "redis" ? redisUrl : postgresUrl.replace(/\/\/[^@]*@/, "//")))
          .join(", ")})`;
        if (process.env.CI === "true") throw new Error(`[services] ${name}: ${why}; CI needs every service`);
        console.warn(`\n!!! SKIPPED "${name}": ${why}. Start the service to run it.\n`);
      }
    });
    // Each test checks the probe result: jest cannot skip from beforeAll, so tests return early.
    servicesGate = () => missing.length === 0;
    body();
  });
}

let servicesGate: () => boolean = () => true;

/** `it` inside `describeWithServices`: runs only when the services are up (see there). */
export function itWithServices(name: string, fn: () => Promise<void> | void, timeout?: number): void {
  const gate = servicesGate;
  it(
    name,
    async () => {
      if (!gate()) return;
      await fn();
    },
    timeout,
  );
}
