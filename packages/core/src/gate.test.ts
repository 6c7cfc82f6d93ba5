/**
 * `createTokenGate`'s defaults that come from elsewhere: a directory with a rule of its own for who
 * manages team tokens (Documenso's), and the policy for a former member's team token.
 */
import { createTokenGate } from "./gate";
import { MemoryDirectory, MemoryTokenStore } from "./implementations/memory";
import type { Directory, TeamRole } from "./ports/types";

/** Max (2) is a MANAGER of team 10, which Ada (1) owns. */
function directoryWith(teamTokenRoles?: readonly TeamRole[]): Directory {
  const memory = new MemoryDirectory()
    .upsertUser({ id: 1, name: "Ada", disabled: false })
    .upsertUser({ id: 2, name: "Max", disabled: false })
    .upsertTeam({ id: 10, name: "Acme", ownerUserId: 1 })
    .setRole(10, 1, "ADMIN")
    .setRole(10, 2, "MANAGER");
  if (!teamTokenRoles) return memory;
  return {
    name: "with-rule",
    teamTokenRoles,
    findUser: (id) => memory.findUser(id),
    findTeam: (id) => memory.findTeam(id),
    findRole: (team, user) => memory.findRole(team, user),
  };
}

const managerCreates = (directory: Directory, teamTokenRoles?: readonly TeamRole[]) =>
  createTokenGate({
    store: new MemoryTokenStore(),
    directory,
    usageFlushIntervalMs: false,
    ...(teamTokenRoles ? { teamTokenRoles } : {}),
  }).service.create({ kind: "user", userId: 2 }, { tokenName: "ci-bot", teamId: 10 });

describe("createTokenGate: who manages team tokens", () => {
  it("defaults to ADMIN only", async () => {
    expect((await managerCreates(directoryWith())).ok).toBe(false);
  });

  it("adopts the directory's own rule when it has one (Documenso: ADMIN and MANAGER)", async () => {
    expect((await managerCreates(directoryWith(["ADMIN", "MANAGER"]))).ok).toBe(true);
  });

  it("lets its own option override the directory's rule", async () => {
    expect((await managerCreates(directoryWith(["ADMIN", "MANAGER"]), ["ADMIN"])).ok).toBe(false);
  });
});

describe("createTokenGate: formerMemberTokens", () => {
  it("refuses a value other than refuse or accept, naming the option", () => {
    expect(() =>
      createTokenGate({
        store: new MemoryTokenStore(),
        directory: new MemoryDirectory(),
        formerMemberTokens: "ignore" as never,
      }),
    ).toThrow(/formerMemberTokens/);
  });
});
