/**
 * `tokengate users …` and `tokengate teams …`: the operator's writes to the built-in directory
 * (SQLite's or PostgreSQL's `users`, `teams` and `memberships` tables), for an application that
 * mirrors its own users there. Each change ends with `directoryChanged()`, so a server caching in
 * the same Redis drops what it cached about users and teams before the command returns.
 */
import type { DirectoryUser, TeamRole, TokenGate } from "@tokengate/core";
import { type Command, Option } from "commander";
import { positiveInteger, type StoreOptions, TEAM_ROLES, withStoreOptions } from "../cli-options";
import type { SeedableDirectory } from "../open-store";
import { type CommandContext, runWithGate, type WhenRedisIsAway } from "../run-command";
import { CommandFailure, UsageError } from "../usage-error";
import type { CommandOutput } from "./token";

/** The directory to write and the gate whose caches must hear of it. */
export interface DirectoryTarget {
  readonly gate: TokenGate;
  readonly directory: SeedableDirectory;
}

function describeUser(user: DirectoryUser): string {
  const details = [user.name, user.email ? `<${user.email}>` : undefined].filter(Boolean).join(" ");
  return `user ${user.id}${details ? ` (${details})` : ""}${user.disabled ? ", disabled" : ""}`;
}

async function existingUser(directory: SeedableDirectory, id: number, flag: string): Promise<DirectoryUser> {
  const user = await directory.findUser(id);
  if (!user) throw new CommandFailure(`no user ${id} (${flag}); add it first with users add --id ${id}`);
  return user;
}

async function existingTeam(directory: SeedableDirectory, id: number) {
  const team = await directory.findTeam(id);
  if (!team) throw new CommandFailure(`no team ${id} (--team); add it first with teams add --id ${id}`);
  return team;
}

export interface AddUserInput {
  readonly id: number;
  readonly name?: string | undefined;
  readonly email?: string | undefined;
}

/**
 * `users add`: creates the user, or brings an existing one's name and email up to date (the
 * application's own record is the truth). Whether the user is disabled is left as it was:
 * `users disable` and `users enable` say that.
 */
export async function addUserCommand(
  { gate, directory }: DirectoryTarget,
  input: AddUserInput,
  out: CommandOutput,
) {
  const before = await directory.findUser(input.id);
  const user: DirectoryUser = {
    id: input.id,
    name: input.name ?? before?.name ?? null,
    email: input.email ?? before?.email ?? null,
    disabled: before?.disabled ?? false,
  };
  await directory.upsertUser(user);
  await gate.directoryChanged();
  out.stdout(`${before ? "updated" : "added"} ${describeUser(user)}\n`);
}

/** `users disable` / `users enable`: the user's tokens stop (or start again) verifying at once. */
export async function setUserDisabledCommand(
  { gate, directory }: DirectoryTarget,
  id: number,
  disabled: boolean,
  out: CommandOutput,
) {
  const user = await existingUser(directory, id, "<id>");
  if (user.disabled !== disabled) await directory.setDisabled(id, disabled);
  await gate.directoryChanged();
  out.stdout(
    `${disabled ? "disabled" : "enabled"} user ${id}${user.disabled === disabled ? " (it already was)" : ""}\n`,
  );
}

export interface AddTeamInput {
  readonly id: number;
  readonly name?: string | undefined;
  readonly ownerUserId: number;
}

/**
 * `teams add`: creates the team, or updates an existing one's name and owner. The owner must be a
 * user, and is made an ADMIN of the team, as the team's creator is in Documenso.
 */
export async function addTeamCommand(
  { gate, directory }: DirectoryTarget,
  input: AddTeamInput,
  out: CommandOutput,
) {
  await existingUser(directory, input.ownerUserId, "--owner");
  const before = await directory.findTeam(input.id);
  const name = input.name ?? before?.name ?? null;
  await directory.upsertTeam({ id: input.id, name, ownerUserId: input.ownerUserId });
  await directory.setRole(input.id, input.ownerUserId, "ADMIN");
  await gate.directoryChanged();
  out.stdout(
    `${before ? "updated" : "added"} team ${input.id}${name ? ` (${name})` : ""}, owned by user ${input.ownerUserId} (ADMIN)\n`,
  );
}

/**
 * `teams members add|set|remove`: `add` refuses a user who is already a member and `set` and
 * `remove` one who is not, so a typo in an id is an error rather than a quiet no-op.
 */
export async function changeMemberCommand(
  { gate, directory }: DirectoryTarget,
  change: { readonly teamId: number; readonly userId: number } & (
    | { readonly kind: "add" | "set"; readonly role: TeamRole }
    | { readonly kind: "remove" }
  ),
  out: CommandOutput,
) {
  const team = await existingTeam(directory, change.teamId);
  await existingUser(directory, change.userId, "--user");
  const current = await directory.findRole(change.teamId, change.userId);
  const member = `user ${change.userId} ${current ? `is a member of team ${change.teamId} (${current})` : `is not a member of team ${change.teamId}`}`;
  if (change.kind === "add" && current)
    throw new CommandFailure(`${member}: use teams members set to change the role`);
  if (change.kind !== "add" && !current) throw new CommandFailure(`${member}: use teams members add`);
  if (change.kind === "remove" && team.ownerUserId === change.userId) {
    throw new CommandFailure(
      `user ${change.userId} owns team ${change.teamId}: give the team another owner first (teams add --id ${change.teamId} --owner <id>)`,
    );
  }
  const role = change.kind === "remove" ? null : change.role;
  await directory.setRole(change.teamId, change.userId, role);
  await gate.directoryChanged();
  out.stdout(
    role === null
      ? `removed user ${change.userId} from team ${change.teamId}\n`
      : `user ${change.userId} is ${role} of team ${change.teamId}\n`,
  );
}

/** A command group that answers a missing or unknown subcommand with one line, as `token` does. */
function group(parent: Command, path: string, description: string): Command {
  const command = parent
    .command(path.split(" ").pop()!)
    .description(description)
    .usage("<command> [options]");
  command.argument("[command]").action((sub: string | undefined) => {
    throw new UsageError(
      sub ? `unknown command '${path} ${sub}'` : `missing command (try tokengate ${path} --help)`,
    );
  });
  return command;
}

/** A subcommand on the servers' store, with `--store` and `--redis`. */
function storeCommand(parent: Command, name: string, description: string): Command {
  return withStoreOptions(parent.command(name).description(description));
}

/**
 * Adds the `users` and `teams` command groups to `program` (created through it, so they inherit
 * its output and exit settings). `done` is called once a command has succeeded.
 */
export function addDirectoryCommands(
  program: Command,
  context: CommandContext,
  out: CommandOutput,
  done: () => void,
): void {
  const write = async (
    command: string,
    options: StoreOptions,
    whenRedisIsAway: WhenRedisIsAway,
    change: (target: DirectoryTarget) => Promise<void>,
  ) => {
    await runWithGate(context, command, options, whenRedisIsAway, ({ gate, opened }) =>
      change({ gate, directory: opened.directory }),
    );
    done();
  };
  const roleOption = (fallback?: TeamRole) => {
    const option = new Option("--role <role>", "the member's role in the team").choices(TEAM_ROLES);
    return fallback ? option.default(fallback) : option.makeOptionMandatory();
  };

  const users = group(
    program,
    "users",
    "add, disable and enable users in the built-in directory (SQLite, PostgreSQL)",
  );
  storeCommand(users, "add", "add a user, or update the name and email of an existing one")
    .requiredOption(
      "--id <id>",
      "the user's id: the same number as in your application",
      positiveInteger("--id"),
    )
    .option("--name <name>", "a display name")
    .option("--email <email>", "an email address")
    .action((options: StoreOptions & { id: number; name?: string; email?: string }) =>
      write("users add", options, "refuse", (target) =>
        addUserCommand(target, { id: options.id, name: options.name, email: options.email }, out),
      ),
    );
  storeCommand(
    users,
    "disable",
    "disable a user: every token acting as them is refused from the next request",
  )
    .argument("<id>", "the user's id", positiveInteger("id"))
    .action((id: number, options: StoreOptions) =>
      write("users disable", options, { revokes: `user ${id} is disabled` }, (target) =>
        setUserDisabledCommand(target, id, true, out),
      ),
    );
  storeCommand(users, "enable", "enable a disabled user again")
    .argument("<id>", "the user's id", positiveInteger("id"))
    .action((id: number, options: StoreOptions) =>
      write("users enable", options, "refuse", (target) => setUserDisabledCommand(target, id, false, out)),
    );

  const teams = group(program, "teams", "add teams and manage their members in the built-in directory");
  storeCommand(
    teams,
    "add",
    "add a team, or update an existing one's name and owner; the owner becomes an ADMIN",
  )
    .requiredOption(
      "--id <id>",
      "the team's id: the same number as in your application",
      positiveInteger("--id"),
    )
    .option("--name <name>", "a display name")
    .requiredOption("--owner <id>", "the user who owns the team", positiveInteger("--owner"))
    .action((options: StoreOptions & { id: number; name?: string; owner: number }) =>
      write("teams add", options, "refuse", (target) =>
        addTeamCommand(target, { id: options.id, name: options.name, ownerUserId: options.owner }, out),
      ),
    );

  const members = group(teams, "teams members", "add, change and remove a team's members");
  const memberCommand = (name: string, description: string) =>
    storeCommand(members, name, description)
      .requiredOption("--team <id>", "the team", positiveInteger("--team"))
      .requiredOption("--user <id>", "the user", positiveInteger("--user"));
  type MemberOptions = StoreOptions & { team: number; user: number };
  memberCommand("add", "make a user a member of a team")
    .addOption(roleOption("MEMBER"))
    .action((options: MemberOptions & { role: TeamRole }) =>
      write("teams members add", options, "refuse", (target) =>
        changeMemberCommand(
          target,
          { kind: "add", teamId: options.team, userId: options.user, role: options.role },
          out,
        ),
      ),
    );
  memberCommand("set", "change a member's role")
    .addOption(roleOption())
    .action((options: MemberOptions & { role: TeamRole }) =>
      write("teams members set", options, "refuse", (target) =>
        changeMemberCommand(
          target,
          { kind: "set", teamId: options.team, userId: options.user, role: options.role },
          out,
        ),
      ),
    );
  memberCommand(
    "remove",
    "remove a member: their tokens for the team are refused from the next request",
  ).action((options: MemberOptions) =>
    write(
      "teams members remove",
      options,
      { revokes: `user ${options.user} is removed from team ${options.team}` },
      (target) =>
        changeMemberCommand(target, { kind: "remove", teamId: options.team, userId: options.user }, out),
    ),
  );
}
