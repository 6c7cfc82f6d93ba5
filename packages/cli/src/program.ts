/**
 * The `tokengate` command line (commander): `serve`, `token …`, `migrate`, and the `users` and
 * `teams` groups from commands/directory.ts. Each command's work lives in commands/*; how a
 * one-shot command opens its store and treats Redis lives in run-command.ts. What a command needs
 * (frameworks, drivers, Redis) is imported when it runs, so `--help` starts without loading them.
 */
import type { Logger } from "@tokengate/core";
import { Command, CommanderError, Option } from "commander";
import packageJson from "../package.json";
import {
  collect,
  EXPIRES_CHOICES,
  expiration,
  expirationDate,
  gracePeriod,
  port,
  positiveInteger,
  type StoreOptions,
  withStoreOption,
  withStoreOptions,
} from "./cli-options";
import { addDirectoryCommands } from "./commands/directory";
import {
  type CommandOutput,
  createTokenCommand,
  listTokensCommand,
  revokeTokenCommand,
  rotateTokenCommand,
} from "./commands/token";
import { COMMAND_DEADLINE_MS, POSTGRES_QUERY_MS, withinDeadline } from "./deadline";
import { DEMO_FRAMEWORKS, type DemoFramework } from "./demo/frameworks";
import { type CommandContext, runWithGate } from "./run-command";
import { defaultStoreUrl, describeLocation } from "./store-location";
import { CommandFailure, UsageError } from "./usage-error";

/** What the CLI reads from and writes to; tests pass their own. */
export interface CliEnvironment extends CommandOutput {
  /** Relative paths (the default `./.tokengate/demo.db`, `sqlite:./x.db`) resolve against it. */
  readonly baseDir: string;
  readonly env: Readonly<Record<string, string | undefined>>;
  /** How a user at `baseDir` runs this CLI again, for printed hints. Default `tokengate`. */
  readonly cliCommand?: string;
  /** Called once `serve` is listening, with the function that stops it. */
  onServing?(stop: () => Promise<void>): void;
}

/** The exit code: 0 done, 1 the command failed, 2 bad arguments. `serving` means a server is running. */
export type CliOutcome = 0 | 1 | 2 | "serving";

// Everything goes to stderr: stdout belongs to a command's result (a token, a table, the banner).
function stderrLogger(out: CommandOutput): Logger {
  const line = (level: string, message: string, meta?: Record<string, unknown>) =>
    out.stderr(`[tokengate] ${level}${message}${meta ? ` ${JSON.stringify(meta)}` : ""}\n`);
  return {
    warn: (message, meta) => line("warning: ", message, meta),
    error: (message, meta) => line("error: ", message, meta),
    info: (message, meta) => line("", message, meta),
  };
}

/**
 * Builds the `tokengate` program. Commander's own errors (unknown option, missing value, bad
 * number) and the CLI's usage errors print one line and exit 2; a command that fails exits 1.
 */
export function buildProgram(io: CliEnvironment, report: (outcome: CliOutcome) => void): Command {
  const storeUrlOf = (store: string | undefined) => store ?? defaultStoreUrl(io.baseDir);
  const context: CommandContext = {
    baseDir: io.baseDir,
    cliCommand: io.cliCommand ?? "tokengate",
    logger: stderrLogger(io),
  };

  const program = new Command("tokengate")
    .description(
      "API-token authentication for Express, Koa and Hono: the demo server and token administration",
    )
    .version(packageJson.version, "-V, --version")
    .usage("<command> [options]")
    .exitOverride()
    .configureOutput({
      writeOut: (text) => io.stdout(text),
      writeErr: (text) => io.stderr(text),
      // Commander may add "(Did you mean …?)" on a second line; a bad command line gets one line.
      outputError: (text, write) => write(`${text.replace(/\s*\n\s*/g, " ").trim()}\n`),
    })
    .showSuggestionAfterError(true);
  // Without an action, commander answers a missing subcommand with its whole help on stderr.
  program.argument("[command]").action((name: string | undefined) => {
    throw new UsageError(name ? `unknown command '${name}'` : "missing command (try tokengate --help)");
  });

  withStoreOptions(
    program
      .command("serve")
      .description("start the demo API: the admin router at /api-tokens and GET /api/v1/me behind tokengate")
      .addOption(
        new Option("--framework <name>", "which framework serves the demo")
          .choices(DEMO_FRAMEWORKS)
          .default("hono"),
      )
      .addOption(
        new Option("--port <port>", "port to listen on; 0 picks a free one").argParser(port).default(3000),
      )
      .option("--host <host>", "address to listen on", "127.0.0.1"),
    "serve",
  ).action(async (options: StoreOptions & { framework: DemoFramework; port: number; host: string }) => {
    const { startDemo } = await import("./commands/serve");
    const running = await startDemo({
      framework: options.framework,
      host: options.host,
      port: options.port,
      storeUrl: storeUrlOf(options.store),
      storeGiven: options.store !== undefined,
      cliCommand: io.cliCommand ?? "tokengate",
      redisUrl: options.redis,
      baseDir: io.baseDir,
      logger: stderrLogger(io),
    });
    io.stdout(running.banner);
    io.onServing?.(() => running.close());
    report("serving");
  });

  const token = program
    .command("token")
    .description("create, list, revoke and rotate API tokens as the operator")
    .usage("<command> [options]");
  token.argument("[command]").action((name: string | undefined) => {
    throw new UsageError(
      name ? `unknown command 'token ${name}'` : "missing command (try tokengate token --help)",
    );
  });

  withStoreOptions(
    token
      .command("create")
      .description("create a token for a user (and team); prints the token, once, alone on stdout")
      .requiredOption("--user <id>", "the user the token acts as", positiveInteger("--user"))
      .option("--team <id>", "make it a team token; the user must be a member", positiveInteger("--team"))
      .requiredOption("--name <name>", "the token's name, 3 to 100 characters")
      .addOption(
        new Option("--expires <when>", `when it expires: ${EXPIRES_CHOICES}`)
          .argParser(expiration)
          .default("never"),
      )
      .option("--scope <scope>", "a scope the token carries; repeat for more", collect),
  ).action(
    async (
      options: StoreOptions & {
        user: number;
        team?: number;
        name: string;
        expires: string;
        scope?: string[];
      },
    ) => {
      await runWithGate(context, "token create", options, "refuse", ({ gate }) =>
        createTokenCommand(
          gate,
          {
            userId: options.user,
            teamId: options.team,
            name: options.name,
            expires: expirationDate(options.expires),
            scopes: options.scope,
          },
          io,
        ),
      );
      report(0);
    },
  );

  withStoreOptions(
    token
      .command("list")
      .description("list a user's personal tokens or a team's tokens (never the tokens themselves)")
      .addOption(
        new Option("--user <id>", "a user's personal tokens")
          .argParser(positiveInteger("--user"))
          .conflicts("team"),
      )
      .addOption(new Option("--team <id>", "a team's tokens").argParser(positiveInteger("--team")))
      .option("--json", "print JSON instead of a table", false),
  ).action(async (options: StoreOptions & { user?: number; team?: number; json: boolean }) => {
    if (options.user === undefined && options.team === undefined) {
      throw new UsageError("token list needs --user <id> or --team <id>");
    }
    const filter = options.team === undefined ? { userId: options.user! } : { teamId: options.team };
    await runWithGate(context, "token list", options, "refuse", ({ gate }) =>
      listTokensCommand(gate, filter, { json: options.json }, io),
    );
    report(0);
  });

  withStoreOptions(
    token
      .command("revoke")
      .description("revoke a token: refused by every server from its next request")
      .argument("<id>", "the token's id (see token list)", positiveInteger("id")),
  ).action(async (id: number, options: StoreOptions) => {
    await runWithGate(context, "token revoke", options, { revokes: `token ${id} is revoked` }, ({ gate }) =>
      revokeTokenCommand(gate, id, io),
    );
    report(0);
  });

  withStoreOptions(
    token
      .command("rotate")
      .description("issue a successor with the same name, team and scopes; prints it, once, alone on stdout")
      .argument("<id>", "the token's id (see token list)", positiveInteger("id"))
      .addOption(
        new Option("--grace <duration>", "how long the old token keeps working: 30s, 15m, 1h, 2d")
          .argParser(gracePeriod)
          .default(0, "0, revoked now"),
      )
      .addOption(
        new Option(
          "--expires <when>",
          `the new token's expiry: ${EXPIRES_CHOICES} [default: the old token's lifetime, from now]`,
        ).argParser(expiration),
      ),
  ).action(async (id: number, options: StoreOptions & { grace: number; expires?: string }) => {
    await runWithGate(context, "token rotate", options, "refuse", ({ gate }) =>
      rotateTokenCommand(
        gate,
        id,
        {
          graceSeconds: options.grace,
          expires: options.expires === undefined ? undefined : expirationDate(options.expires),
        },
        io,
      ),
    );
    report(0);
  });

  withStoreOption(
    program
      .command("migrate")
      .description("create tokengate's tables in the store if they are missing (and the SQLite file)"),
    "migrate",
  ).action(async (options: StoreOptions) => {
    await withinDeadline("tokengate migrate", COMMAND_DEADLINE_MS, async () => {
      const { openStore } = await import("./open-store");
      const opened = await openStore(storeUrlOf(options.store), io.baseDir, {
        queryTimeoutMs: POSTGRES_QUERY_MS,
      });
      try {
        await opened.migrate();
        io.stdout(`tables ready in ${describeLocation(opened.location)}\n`);
      } finally {
        await opened.close();
      }
    });
    report(0);
  });

  addDirectoryCommands(program, context, io, () => report(0));

  program
    .command("openapi")
    .description("print the admin router's OpenAPI 3.1 document (JSON) for a mount path")
    .option("--mount <path>", "where the admin router is mounted", "/api-tokens")
    .action(async (options: { mount: string }) => {
      if (!options.mount.startsWith("/")) throw new UsageError("--mount must start with /");
      const { adminOpenApiDocument } = await import("@tokengate/core");
      io.stdout(`${JSON.stringify(adminOpenApiDocument(options.mount), null, 2)}\n`);
      report(0);
    });

  withStoreOption(
    program
      .command("doctor")
      .description("check that tokengate can serve a store; --documenso: Documenso's own database")
      .option(
        "--documenso",
        "the store is Documenso's database (postgres://…, schema public unless ?schema=)",
        false,
      ),
    "existing",
  ).action(async (options: StoreOptions & { documenso: boolean }) => {
    const { doctorCommand } = await import("./commands/doctor");
    await doctorCommand(
      { storeUrl: storeUrlOf(options.store), documenso: options.documenso, baseDir: io.baseDir },
      io,
    );
    report(0);
  });

  return program;
}

/**
 * Runs the CLI on `args` (without `node` and the script). Resolves with the exit code, or
 * `serving` once `serve` is listening.
 */
export async function runCli(args: readonly string[], io: CliEnvironment): Promise<CliOutcome> {
  let outcome: CliOutcome = 0;
  const program = buildProgram(io, (result) => {
    outcome = result;
  });
  try {
    await program.parseAsync([...args], { from: "user" });
    return outcome;
  } catch (error) {
    if (error instanceof CommanderError) return error.exitCode === 0 ? 0 : 2;
    if (error instanceof UsageError) {
      io.stderr(`error: ${error.message}\n`);
      return 2;
    }
    if (error instanceof CommandFailure) {
      io.stderr(`error: ${error.message}\n`);
      return 1;
    }
    // Driver messages (SQLite, PostgreSQL, Redis) name the problem; none carries a token or digest.
    const message = error instanceof Error ? error.message : String(error);
    io.stderr(`error: ${message.split("\n")[0]}\n`);
    return 1;
  }
}
