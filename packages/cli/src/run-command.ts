/**
 * How every one-shot command (`token …`, `users …`, `teams …`) runs against its store: within the
 * deadline, on a store that must already exist, and with one rule for a `--redis` that does not
 * answer:
 *
 * - a command that only takes access away (a revocation, a user disabled, a member removed) is
 *   made in the store all the same, since the store is what every server falls back
 *   on, and then fails, saying which cached copies may outlive it and for how long;
 * - any other command changes nothing and fails at once.
 */
import { type Logger, TokenGateError } from "@tokengate/core";
import { COMMAND_DEADLINE_MS, withinDeadline } from "./deadline";
import type { OpenedGate } from "./open-gate";
import { shellWord } from "./shell-word";
import { defaultStoreUrl, describeLocation, MissingStoreError } from "./store-location";
import { CommandFailure } from "./usage-error";

/** What a one-shot command needs of the CLI around it. */
export interface CommandContext {
  /** Relative paths and the default store resolve against it. */
  readonly baseDir: string;
  /** How the user runs tokengate, for the hints in messages. */
  readonly cliCommand: string;
  readonly logger: Logger;
}

/**
 * What a command does when its `--redis` does not answer: `refuse` to run, or, for a command that
 * only takes access away, run and then fail; `revokes` says what the store then holds (`token 7
 * is revoked`), for the message.
 */
export type WhenRedisIsAway = "refuse" | { readonly revokes: string };

// The servers' Redis tier keeps a credential this long unless told (`redisTier`'s `ttlMs`).
const CACHED_COPY_LIFETIME = "5 minutes";

/**
 * Opens the gate the options name, runs `run`, closes everything, all within
 * `COMMAND_DEADLINE_MS`. Throws `CommandFailure` with a message fit for the terminal.
 */
export function runWithGate(
  context: CommandContext,
  command: string,
  options: { store?: string | undefined; redis?: string | undefined },
  whenRedisIsAway: WhenRedisIsAway,
  run: (opened: OpenedGate) => Promise<void>,
): Promise<void> {
  return withinDeadline(`tokengate ${command}`, COMMAND_DEADLINE_MS, async () => {
    // Loaded here, not at the top: the drivers and the cache are for the command that runs, and
    // `tokengate --help` should not wait for them.
    const { openGate } = await import("./open-gate");
    const opened = await openGate({
      storeUrl: options.store ?? defaultStoreUrl(context.baseDir),
      redisUrl: options.redis,
      baseDir: context.baseDir,
      logger: context.logger,
      purpose: "command",
    }).catch((error: unknown) => {
      throw error instanceof MissingStoreError ? missingStore(context, error, options.store) : error;
    });
    try {
      const unavailable = opened.redisUnavailable;
      if (unavailable !== undefined && whenRedisIsAway === "refuse") {
        throw new CommandFailure(
          `${unavailable}; nothing was done. Run it again once Redis answers (or without --redis if the servers do not use Redis)`,
        );
      }
      try {
        await run(opened);
      } catch (error) {
        // The cache's own word for "stored, but not every instance was told".
        if (
          error instanceof TokenGateError &&
          error.code === "store_unavailable" &&
          whenRedisIsAway !== "refuse"
        ) {
          throw notTold(
            whenRedisIsAway.revokes,
            "Redis did not confirm that every server dropped its cached copy",
          );
        }
        throw error;
      }
      if (unavailable !== undefined && whenRedisIsAway !== "refuse")
        throw notTold(whenRedisIsAway.revokes, unavailable);
    } finally {
      await opened.close();
    }
  });
}

function notTold(stored: string, why: string): CommandFailure {
  return new CommandFailure(
    `${stored} in the store, but ${why}: a server that caches in Redis may go on accepting what it cached for up to ${CACHED_COPY_LIFETIME}`,
  );
}

/** "No store here", with how to get one, in the terms the user typed. */
function missingStore(context: CommandContext, error: MissingStoreError, given: string | undefined) {
  const cli = context.cliCommand;
  const { location } = error;
  if (location.kind === "postgres") {
    const url = shellWord(given ?? "", "<the --store URL>");
    return new CommandFailure(
      `no tokengate tables in ${describeLocation(location)}: create them with ${cli} migrate --store ${url} (empty) or ${cli} serve --store ${url} (the demo)`,
    );
  }
  const store = shellWord(`sqlite:${location.path}`, "<the --store URL>");
  if (given === undefined) {
    return new CommandFailure(
      `no store at ${location.path} (the default --store, .tokengate/demo.db in the folder tokengate runs from). Pass the --store your servers use (or set TOKENGATE_STORE), start the demo in this folder with ${cli} serve, or create an empty store with ${cli} migrate --store ${store}`,
    );
  }
  return new CommandFailure(
    `no store at ${location.path}: create it with ${cli} migrate --store ${store} (empty) or ${cli} serve --store ${store} (the demo)`,
  );
}
