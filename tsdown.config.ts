/**
 * The one build every published package runs (`pnpm -r run build`, from each package's folder):
 * ESM and CommonJS JavaScript for Node >= 20.12, with `.d.mts`/`.d.cts` declarations and
 * declaration maps that point into the shipped `src/`. Dependencies and peer dependencies stay
 * external, so `@tokengate/express` imports `@tokengate/core` rather than carrying a copy of it.
 */
import { fileURLToPath } from "node:url";
import { defineConfig, type UserConfig } from "tsdown";

/** The shared settings; a package with more entry points (the CLI) passes its own `entry`. */
export function packageBuild(overrides: UserConfig = {}): UserConfig {
  return defineConfig({
    // Run from a package's folder: its src/ and dist/, whatever the config file's own location.
    cwd: process.cwd(),
    entry: ["src/index.ts"],
    format: ["esm", "cjs"],
    platform: "node",
    target: "node20.12",
    fixedExtension: true,
    sourcemap: true,
    dts: { sourcemap: true },
    tsconfig: fileURLToPath(new URL("./tsconfig.build.json", import.meta.url)),
    clean: true,
    report: false,
    ...overrides,
  });
}

export default packageBuild();
