/**
 * The apps the consumer test runs: the README's "Use it in your app" snippets, read from the README
 * itself so the two cannot drift, written into a consumer project in each of four module setups.
 * TypeScript setups compile the snippet with the project's own `tsc`; the JavaScript setups get the
 * snippet with its types erased (TypeScript's `transpileModule`), as ESM and as CommonJS.
 */
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import ts from "typescript";
import { mustRun } from "./processes";

export type Framework = "express" | "koa" | "hono";

/** The README's snippet for each framework, marked `<!-- consumer-app:<framework> -->`. */
export function readmeApps(readmePath = resolve(__dirname, "../../README.md")): Record<Framework, string> {
  const readme = readFileSync(readmePath, "utf8");
  const apps: Partial<Record<Framework, string>> = {};
  for (const match of readme.matchAll(/<!-- consumer-app:(\w+) -->\s*```ts\n([\s\S]*?)```/g)) {
    apps[match[1] as Framework] = match[2]!;
  }
  for (const framework of ["express", "koa", "hono"] as const) {
    const app = apps[framework];
    if (!app) throw new Error(`README.md has no snippet marked <!-- consumer-app:${framework} -->`);
    // The port is the one thing the test changes, so apps can run side by side: it must be there once.
    if (app.match(/\b3000\b/g)?.length !== 1)
      throw new Error(`the ${framework} snippet must name port 3000 once`);
  }
  return apps as Record<Framework, string>;
}

/** The four ways a Node application is written, as the issue lists them. */
export const SETUPS = ["esm", "cjs", "ts-nodenext", "ts-bundler"] as const;
export type Setup = (typeof SETUPS)[number];

/** A project built for a bundler's resolution (Vite's template and most others look like this). */
const BUNDLER_TSCONFIG = {
  compilerOptions: {
    module: "preserve",
    moduleResolution: "bundler",
    target: "es2022",
    types: ["node"],
    strict: true,
    skipLibCheck: true,
    verbatimModuleSyntax: true,
    noEmit: false,
  },
};

/**
 * The type errors inside tokengate's own declarations when the app in `dir` is checked with
 * `skipLibCheck: false`. Only ours count: other packages' declarations are not always clean
 * together (today @types/koa 3 and content-disposition 1 disagree), which is why projects skip
 * them, but a consumer who checks libraries must find nothing to fix in tokengate's.
 */
export function tokengateDeclarationErrors(dir: string): string[] {
  const configPath = ts.findConfigFile(dir, ts.sys.fileExists);
  if (!configPath) throw new Error(`no tsconfig.json in ${dir}`);
  const parsed = ts.getParsedCommandLineOfConfigFile(
    configPath,
    { skipLibCheck: false, noEmit: true },
    {
      ...ts.sys,
      onUnRecoverableConfigFileDiagnostic: (d) => {
        throw new Error(ts.flattenDiagnosticMessageText(d.messageText, "\n"));
      },
    },
  );
  if (!parsed) throw new Error(`unreadable ${configPath}`);
  const program = ts.createProgram({ rootNames: parsed.fileNames, options: parsed.options });
  return ts
    .getPreEmitDiagnostics(program)
    .filter((d) => d.file?.fileName.includes("/node_modules/@tokengate/"))
    .map((d) => `${d.file!.fileName}: ${ts.flattenDiagnosticMessageText(d.messageText, "\n")}`);
}

/**
 * Writes the app for one setup into `dir` (inside a consumer project whose node_modules is above
 * it) and compiles it where it is TypeScript. Returns the file `node` runs.
 */
export async function prepareApp(dir: string, setup: Setup, snippet: string, port: number): Promise<string> {
  mkdirSync(dir, { recursive: true });
  const source = snippet.replace(/\b3000\b/, String(port));
  const type = setup === "cjs" ? "commonjs" : "module";
  writeFileSync(join(dir, "package.json"), `${JSON.stringify({ private: true, type }, null, 2)}\n`);
  switch (setup) {
    case "esm":
    case "cjs": {
      const module = setup === "esm" ? ts.ModuleKind.ESNext : ts.ModuleKind.CommonJS;
      const { outputText } = ts.transpileModule(source, {
        compilerOptions: { module, target: ts.ScriptTarget.ES2022, esModuleInterop: true },
      });
      writeFileSync(join(dir, "app.js"), outputText);
      return "app.js";
    }
    case "ts-nodenext":
      writeFileSync(join(dir, "app.ts"), source);
      // The settings a new project starts with: `tsc --init` of the project's TypeScript (5.9:
      // nodenext, verbatimModuleSyntax, strict, exactOptionalPropertyTypes, types: []).
      await mustRun("npx", ["tsc", "--init"], { cwd: dir, timeoutMs: 60_000 });
      await mustRun("npx", ["tsc", "-p", "."], { cwd: dir, timeoutMs: 120_000 });
      return "app.js";
    case "ts-bundler":
      writeFileSync(join(dir, "app.ts"), source);
      writeFileSync(join(dir, "tsconfig.json"), `${JSON.stringify(BUNDLER_TSCONFIG, null, 2)}\n`);
      await mustRun("npx", ["tsc", "-p", "."], { cwd: dir, timeoutMs: 120_000 });
      return "app.js";
  }
}
