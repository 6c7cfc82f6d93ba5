/**
 * The options and argument parsers the commands share. A parser that refuses a value throws
 * commander's `InvalidArgumentError`: one line on stderr, exit 2, before any store is opened.
 * Where the HTTP API has a rule for a value, the parser asks the core's own schema.
 */
import { EXPIRATION_PRESETS, ExpirationDateSchema, parseId, type TeamRole } from "@tokengate/core";
import { type Command, InvalidArgumentError, Option } from "commander";
import { parseDurationSeconds } from "./duration";

/** An id argument (`--user`, `--team`, a token's id): the core's id rule, which the admin router's ids follow too. */
export function positiveInteger(name: string) {
  return (value: string): number => {
    const id = parseId(value);
    if (id === null) throw new InvalidArgumentError(`${name} must be a positive integer.`);
    return id;
  };
}

export function port(value: string): number {
  if (!/^[0-9]{1,5}$/.test(value) || Number(value) > 65_535) {
    throw new InvalidArgumentError("port must be 0 (any free port) to 65535.");
  }
  return Number(value);
}

export function gracePeriod(value: string): number {
  const seconds = parseDurationSeconds(value);
  if (seconds === null) throw new InvalidArgumentError("use a number and a unit: 30s, 15m, 1h or 2d.");
  return seconds;
}

/** What `--expires` takes, in the words of its help and its error. `never` is the API's `null`. */
export const EXPIRES_CHOICES = `never, ${EXPIRATION_PRESETS.join(", ")}, or an ISO-8601 instant with a time zone (2027-01-31T00:00:00Z)`;

/** The API's `expirationDate` for an `--expires` value: `never` is its `null`. */
export function expirationDate(expires: string): string | null {
  return expires === "never" ? null : expires;
}

/**
 * `--expires`: exactly what the API's `expirationDate` accepts, checked by the API's own schema,
 * with `never` for its `null`. That an instant is in the future is the service's to say, as it is
 * for the API. Returns the value as typed (commander would turn a `null` into an empty string).
 */
export function expiration(value: string): string {
  if (!ExpirationDateSchema.safeParse(expirationDate(value)).success) {
    throw new InvalidArgumentError(`--expires takes ${EXPIRES_CHOICES}.`);
  }
  return value;
}

// Keyed by the core's `TeamRole`, so a role added there fails to compile here until it is listed.
const ROLE_NAMES: Record<TeamRole, true> = { ADMIN: true, MANAGER: true, MEMBER: true };
/** The roles a team member may have, as the core's `TeamRole` names them. */
export const TEAM_ROLES = Object.keys(ROLE_NAMES) as TeamRole[];

export function collect(value: string, previous: string[] = []): string[] {
  return [...previous, value];
}

/**
 * What a command does with its `--store`, which words its help: `serve` creates and seeds a
 * missing store, `migrate` creates the tables, every other command needs a store that exists.
 */
export type StoreUse = "serve" | "migrate" | "existing";

const STORE_HELP: Record<StoreUse, string> = {
  serve:
    "sqlite:PATH, postgres://… (?schema=NAME) or memory; created and seeded with the demo users if missing [default: sqlite:./.tokengate/demo.db]",
  migrate: "where: sqlite:PATH or postgres://… (?schema=NAME) [default: sqlite:./.tokengate/demo.db]",
  existing:
    "the servers' store, which must exist: sqlite:PATH or postgres://… (?schema=NAME) [default: sqlite:./.tokengate/demo.db]",
};

/** Adds `--store`, also read from `TOKENGATE_STORE`, worded for what `command` does with it. */
export function withStoreOption(command: Command, use: StoreUse): Command {
  return command.addOption(new Option("--store <url>", STORE_HELP[use]).env("TOKENGATE_STORE"));
}

/**
 * Adds `--store` and then `--redis` (also read from `TOKENGATE_REDIS`): the options of a command
 * that works on a store and tells the servers' caches. Added last, so they close the help.
 */
export function withStoreOptions(command: Command, use: Exclude<StoreUse, "migrate"> = "existing"): Command {
  return withStoreOption(command, use).addOption(
    new Option(
      "--redis <url>",
      "Redis for the shared cache, so a change reaches every running server at once (redis://…)",
    ).env("TOKENGATE_REDIS"),
  );
}

/** The options of a command that works on a store (and tells the servers' caches). */
export interface StoreOptions {
  store?: string;
  redis?: string;
}
