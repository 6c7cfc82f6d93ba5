/**
 * The `tokengate` command (run by bin/tokengate.cjs). Exit codes: 0 done, 1 the command failed,
 * 2 bad arguments; every command but `serve` exits within 10 s (see deadline.ts); `serve` runs
 * until SIGINT or SIGTERM and then shuts down cleanly.
 */
import { isAbsolute, relative, sep } from "node:path";
import { runCli } from "./program";

// `npm run demo` runs the script from packages/cli; INIT_CWD is where the user typed it, so the
// default ./.tokengate/demo.db lands in the repository root (or wherever `npx tokengate` ran).
const baseDir = process.env.INIT_CWD || process.cwd();
/**
 * How the user at `baseDir` runs this command again, for the printed hints: `pnpm tokengate` from
 * the repository's script, `npx tokengate` from an install, or the script's own path.
 */
function howToRunAgain(): string {
  if (process.env.npm_lifecycle_event === "tokengate") return "pnpm tokengate";
  const script = process.argv[1] ?? "";
  if (script.split(sep).includes("node_modules")) return "npx tokengate";
  const path = relative(baseDir, script);
  return path && !path.startsWith("..") && !isAbsolute(path) ? `node ${path}` : "tokengate";
}
const cliCommand = howToRunAgain();

runCli(process.argv.slice(2), {
  baseDir,
  cliCommand,
  env: process.env,
  stdout: (text) => process.stdout.write(text),
  stderr: (text) => process.stderr.write(text),
  onServing(stop) {
    let stopping = false;
    const shutdown = (signal: NodeJS.Signals) => {
      if (stopping) {
        process.stderr.write(`${signal} again: exiting without waiting\n`);
        process.exit(130);
      }
      stopping = true;
      process.stderr.write(`${signal}: closing (flushing last-used times)\n`);
      stop().then(
        () => process.exit(0),
        (error: unknown) => {
          process.stderr.write(`error while closing: ${String(error)}\n`);
          process.exit(1);
        },
      );
    };
    process.once("SIGINT", shutdown);
    process.once("SIGTERM", shutdown);
  },
}).then((outcome) => {
  if (outcome === "serving") return;
  // A one-shot command has closed what it opened; a connection that would not close (a server that
  // accepted it and went silent) must not keep the process alive once the result is out.
  process.stdout.write("", () => process.stderr.write("", () => process.exit(outcome)));
});
