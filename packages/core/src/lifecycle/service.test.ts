import { StoreConstraintError } from "../errors";
import { MemoryDirectory, MemoryTokenStore } from "../implementations/memory";
import { silentLogger } from "../ports/logger";
import type { CredentialCache, Principal, ResolvedCredential } from "../ports/types";
import type { Result } from "../result";
import { sha512Digester } from "../verify/digest";
import { storeLookup } from "../verify/lookup";
import { documensoTokenFormat } from "../verify/token-format";
import { TokenVerifier } from "../verify/verify";
import { TokenService, type TokenServiceConfig } from "./service";

const NOW = new Date("2025-01-31T10:00:00.000Z");
const HOUR = 3600_000;
const DAY = 24 * HOUR;

const user = (userId: number): Principal => ({ kind: "user", userId });
const operator: Principal = { kind: "operator" };

/**
 * A cache that records what it was told to drop. `invalidate` resolves only when the test lets it,
 * so a test can tell whether the service waited for it.
 */
function recordingCache() {
  const invalidated: string[][] = [];
  let hold: Promise<void> | null = null;
  let releaseHold = () => {};
  const cache: CredentialCache = {
    name: "recording",
    lookup: async (): Promise<ResolvedCredential | null> => null,
    invalidate: async (digests) => {
      invalidated.push([...digests]);
      if (hold) await hold;
    },
    invalidateAll: async () => {},
  };
  return {
    cache,
    invalidated,
    holdInvalidations() {
      hold = new Promise<void>((resolve) => {
        releaseHold = resolve;
      });
    },
    release: () => releaseHold(),
  };
}

/**
 * Ada (1) is ADMIN of team 10, Max (2) its MANAGER, Mel (3) a MEMBER; Out (4) is in no team;
 * Dis (5) is disabled.
 */
function world(config: Partial<TokenServiceConfig> = {}) {
  let now = NOW;
  const store = new MemoryTokenStore();
  const directory = new MemoryDirectory()
    .upsertUser({ id: 1, name: "Ada", disabled: false })
    .upsertUser({ id: 2, name: "Max", disabled: false })
    .upsertUser({ id: 3, name: "Mel", disabled: false })
    .upsertUser({ id: 4, name: "Out", disabled: false })
    .upsertUser({ id: 5, name: "Dis", disabled: true })
    .upsertTeam({ id: 10, name: "Acme", ownerUserId: 1 })
    .setRole(10, 1, "ADMIN")
    .setRole(10, 2, "MANAGER")
    .setRole(10, 3, "MEMBER");
  const recording = recordingCache();
  const clock = () => now;
  const service = new TokenService({
    store,
    directory,
    digester: sha512Digester,
    format: documensoTokenFormat,
    clock,
    cache: recording.cache,
    teamTokenRoles: ["ADMIN"],
    ...config,
  });
  const verifier = new TokenVerifier({
    lookup: storeLookup(store, directory),
    digesters: [sha512Digester],
    formats: [documensoTokenFormat],
    clock,
    realm: "api",
    logger: silentLogger,
  });
  return {
    store,
    directory,
    service,
    recording,
    setNow: (date: Date) => {
      now = date;
    },
    verifies: async (token: string) => (await verifier.verify({ authorization: `Bearer ${token}` })).ok,
  };
}

function value<T>(result: Result<T>): T {
  if (!result.ok) throw new Error(`expected success, got ${result.error.code}: ${result.error.message}`);
  return result.value;
}

function failure<T>(result: Result<T>) {
  if (result.ok) throw new Error("expected a failure");
  return {
    code: result.error.code,
    status: result.error.status,
    fields: result.error.issues?.map((i) => i.field),
  };
}

describe("TokenService.create", () => {
  it("mints a personal token shown once, storing only its SHA-512 digest", async () => {
    const w = world();
    const { id, token } = value(await w.service.create(user(4), { tokenName: "  laptop  " }));
    expect(token).toMatch(/^api_[0-9a-z]{16}$/);
    const record = await w.store.findById(id);
    expect(record).toMatchObject({
      name: "laptop",
      userId: 4,
      teamId: null,
      digest: sha512Digester.digest(token),
      algorithm: "SHA512",
      createdAt: NOW,
      expiresAt: null,
      scopes: [],
    });
    expect(JSON.stringify(record)).not.toContain(token);
    expect(await w.verifies(token)).toBe(true);
  });

  it("reads an omitted expirationDate and null alike as never", async () => {
    const w = world();
    const omitted = value(await w.service.create(user(1), { tokenName: "a-token" }));
    const never = value(await w.service.create(user(1), { tokenName: "b-token", expirationDate: null }));
    expect((await w.store.findById(omitted.id))?.expiresAt).toBeNull();
    expect((await w.store.findById(never.id))?.expiresAt).toBeNull();
  });

  it("resolves a preset against the clock, in calendar months", async () => {
    const w = world();
    const { id } = value(
      await w.service.create(user(1), { tokenName: "monthly", expirationDate: "ONE_MONTH" }),
    );
    expect((await w.store.findById(id))?.expiresAt).toEqual(new Date("2025-02-28T10:00:00.000Z"));
  });

  it("refuses an instant in the past or now, naming expirationDate", async () => {
    const w = world();
    for (const expirationDate of [NOW.toISOString(), "2020-01-01T00:00:00Z"]) {
      expect(failure(await w.service.create(user(1), { tokenName: "old", expirationDate }))).toEqual({
        code: "validation_failed",
        status: 400,
        fields: ["expirationDate"],
      });
    }
  });

  it("lets a team ADMIN create a team token, and nobody else by default", async () => {
    const w = world();
    const { id } = value(await w.service.create(user(1), { tokenName: "ci-bot", teamId: 10 }));
    expect((await w.store.findById(id))?.teamId).toBe(10);
    for (const userId of [2, 3, 4]) {
      expect(
        failure(await w.service.create(user(userId), { tokenName: "ci-bot", teamId: 10 })),
      ).toMatchObject({
        code: "forbidden",
        status: 403,
      });
    }
    expect(failure(await w.service.create(user(1), { tokenName: "ci-bot", teamId: 99 }))).toMatchObject({
      code: "forbidden",
    });
  });

  it("lets a MANAGER create team tokens when the deployment allows it", async () => {
    const w = world({ teamTokenRoles: ["ADMIN", "MANAGER"] });
    expect((await w.service.create(user(2), { tokenName: "ci-bot", teamId: 10 })).ok).toBe(true);
    expect(failure(await w.service.create(user(3), { tokenName: "ci-bot", teamId: 10 })).code).toBe(
      "forbidden",
    );
  });

  it("refuses a caller who does not exist (401) or is disabled (403)", async () => {
    const w = world();
    expect(failure(await w.service.create(user(99), { tokenName: "ghost" }))).toMatchObject({
      code: "unauthenticated",
      status: 401,
    });
    expect(failure(await w.service.create(user(5), { tokenName: "dis" }))).toMatchObject({
      code: "forbidden",
      status: 403,
    });
  });

  it("refuses scopes outside the allowed list, naming them", async () => {
    const w = world({ allowedScopes: ["documents:read"] });
    expect((await w.service.create(user(1), { tokenName: "reader", scopes: ["documents:read"] })).ok).toBe(
      true,
    );
    const refused = await w.service.create(user(1), {
      tokenName: "admin-ish",
      scopes: ["documents:read", "admin"],
    });
    expect(failure(refused)).toEqual({ code: "validation_failed", status: 400, fields: ["scopes"] });
    expect(refused.ok ? "" : refused.error.message).toContain("admin");
  });

  it("validates the body and names the fields", async () => {
    const w = world();
    expect(failure(await w.service.create(user(1), { tokenName: "ab", extra: 1 }))).toEqual({
      code: "validation_failed",
      status: 400,
      fields: ["tokenName", "extra"],
    });
  });

  describe("as the operator", () => {
    it("must name the token's user, who must exist", async () => {
      const w = world();
      expect(failure(await w.service.create(operator, { tokenName: "cli" }))).toMatchObject({
        fields: ["userId"],
      });
      expect(failure(await w.service.create(operator, { tokenName: "cli" }, 99))).toMatchObject({
        fields: ["userId"],
      });
      const { id } = value(await w.service.create(operator, { tokenName: "cli" }, 4));
      expect((await w.store.findById(id))?.userId).toBe(4);
    });

    it("is not held to team roles, but cannot mint a team token that could never verify", async () => {
      const w = world();
      const { token } = value(await w.service.create(operator, { tokenName: "cli", teamId: 10 }, 3));
      expect(await w.verifies(token)).toBe(true);
      expect(failure(await w.service.create(operator, { tokenName: "cli", teamId: 10 }, 4))).toMatchObject({
        fields: ["teamId"],
      });
      expect(failure(await w.service.create(operator, { tokenName: "cli", teamId: 99 }, 1))).toMatchObject({
        fields: ["teamId"],
      });
    });
  });
});

describe("TokenService.list", () => {
  it("lists the caller's personal tokens, newest first, as metadata only", async () => {
    const w = world();
    const first = value(await w.service.create(user(1), { tokenName: "first", expirationDate: "30d" }));
    w.setNow(new Date(NOW.getTime() + HOUR));
    const second = value(await w.service.create(user(1), { tokenName: "second" }));
    await w.service.create(user(1), { tokenName: "team", teamId: 10 });
    await w.service.create(user(4), { tokenName: "someone else" });

    const listed = value(await w.service.list(user(1)));
    expect(listed.map((t) => t.name)).toEqual(["second", "first"]);
    expect(listed[1]).toEqual({
      id: first.id,
      name: "first",
      teamId: null,
      createdAt: NOW.toISOString(),
      expiresAt: new Date(NOW.getTime() + 30 * DAY).toISOString(),
      status: "active",
      lastUsedAt: null,
      createdBy: 1,
      scopes: [],
      replacedById: null,
    });
    const text = JSON.stringify(listed);
    for (const { token } of [first, second]) {
      expect(text).not.toContain(token);
      expect(text).not.toContain(sha512Digester.digest(token));
    }
  });

  it("shows a token past its expiry as expired", async () => {
    const w = world();
    await w.service.create(user(1), { tokenName: "weekly", expirationDate: "ONE_WEEK" });
    w.setNow(new Date(NOW.getTime() + 7 * DAY));
    expect(value(await w.service.list(user(1)))[0]?.status).toBe("expired");
  });

  it("lists a team's tokens to its ADMIN, refuses its MEMBER and outsiders", async () => {
    const w = world();
    await w.service.create(user(1), { tokenName: "ci-bot", teamId: 10 });
    expect(value(await w.service.list(user(1), { teamId: 10 })).map((t) => t.name)).toEqual(["ci-bot"]);
    expect(failure(await w.service.list(user(3), { teamId: 10 })).code).toBe("forbidden");
    expect(failure(await w.service.list(user(4), { teamId: 10 })).code).toBe("forbidden");
  });

  it("lets the operator list any user's or team's tokens, but only when told which", async () => {
    const w = world();
    await w.service.create(user(4), { tokenName: "mine" });
    await w.service.create(user(1), { tokenName: "ci-bot", teamId: 10 });
    expect(value(await w.service.list(operator, { userId: 4 })).map((t) => t.name)).toEqual(["mine"]);
    expect(value(await w.service.list(operator, { teamId: 10 })).map((t) => t.name)).toEqual(["ci-bot"]);
    expect(failure(await w.service.list(operator)).fields).toEqual(["userId"]);
  });
});

describe("TokenService.delete", () => {
  it("revokes at once: the store forgets it, the cache is told and awaited, later use is refused", async () => {
    const w = world();
    const { id, token } = value(await w.service.create(user(1), { tokenName: "laptop" }));
    expect(await w.verifies(token)).toBe(true);

    w.recording.holdInvalidations();
    let answered = false;
    const deleting = w.service.delete(user(1), id).then((result) => {
      answered = true;
      return result;
    });
    // Let every other pending step run: only the held invalidation may still be outstanding.
    for (let i = 0; i < 20; i++) await Promise.resolve();
    expect(w.recording.invalidated).toEqual([[sha512Digester.digest(token)]]);
    expect(answered).toBe(false);
    w.recording.release();
    expect(value(await deleting)).toEqual({ id });

    expect(await w.store.findById(id)).toBeNull();
    expect(await w.verifies(token)).toBe(false);
  });

  it("answers 404 for another user's personal token and for an unknown id, leaving them alone", async () => {
    const w = world();
    const { id } = value(await w.service.create(user(4), { tokenName: "private" }));
    expect(failure(await w.service.delete(user(1), id))).toMatchObject({ code: "not_found", status: 404 });
    expect(failure(await w.service.delete(user(1), 999))).toMatchObject({ code: "not_found", status: 404 });
    expect(await w.store.findById(id)).not.toBeNull();
    expect(w.recording.invalidated).toEqual([]);
  });

  it("answers 403 to a team member without the role, 404 to an outsider", async () => {
    const w = world();
    const { id } = value(await w.service.create(user(1), { tokenName: "ci-bot", teamId: 10 }));
    expect(failure(await w.service.delete(user(3), id))).toMatchObject({ code: "forbidden", status: 403 });
    expect(failure(await w.service.delete(user(4), id))).toMatchObject({ code: "not_found", status: 404 });
    expect(await w.store.findById(id)).not.toBeNull();
  });

  it("lets a team ADMIN revoke a token another member created", async () => {
    const w = world({ teamTokenRoles: ["ADMIN", "MANAGER"] });
    const { id } = value(await w.service.create(user(2), { tokenName: "manager's", teamId: 10 }));
    expect(value(await w.service.delete(user(1), id))).toEqual({ id });
  });

  it("refuses a disabled caller even for their own token", async () => {
    const w = world();
    const { id } = value(await w.service.create(user(4), { tokenName: "mine" }));
    w.directory.setDisabled(4, true);
    expect(failure(await w.service.delete(user(4), id)).code).toBe("forbidden");
  });

  it("lets the operator revoke any token, and says 404 for one that is gone", async () => {
    const w = world();
    const { id } = value(await w.service.create(user(4), { tokenName: "mine" }));
    expect(value(await w.service.delete(operator, id))).toEqual({ id });
    expect(failure(await w.service.delete(operator, id)).code).toBe("not_found");
  });
});

describe("TokenService.rotate", () => {
  it("with no grace, revokes the old token at once and issues a working successor", async () => {
    const w = world();
    const old = value(await w.service.create(user(1), { tokenName: "deploy", scopes: ["documents:read"] }));
    const rotated = value(await w.service.rotate(user(1), old.id));
    expect(rotated.previous).toEqual({ id: old.id, expiresAt: NOW.toISOString() });
    expect(rotated.token).not.toBe(old.token);
    expect(await w.verifies(old.token)).toBe(false);
    expect(await w.verifies(rotated.token)).toBe(true);
    expect(await w.store.findById(rotated.id)).toMatchObject({
      name: "deploy",
      userId: 1,
      teamId: null,
      scopes: ["documents:read"],
    });
    expect(w.recording.invalidated).toEqual([[sha512Digester.digest(old.token)]]);
  });

  it("keeps the old token working for the grace period, then not", async () => {
    const w = world();
    const old = value(await w.service.create(user(1), { tokenName: "deploy" }));
    const rotated = value(await w.service.rotate(user(1), old.id, { gracePeriodSeconds: 3600 }));
    const end = new Date(NOW.getTime() + HOUR);
    expect(rotated.previous).toEqual({ id: old.id, expiresAt: end.toISOString() });
    expect(await w.store.findById(old.id)).toMatchObject({ expiresAt: end, replacedById: rotated.id });
    expect(await w.verifies(old.token)).toBe(true);
    w.setNow(end);
    expect(await w.verifies(old.token)).toBe(false);
    expect(await w.verifies(rotated.token)).toBe(true);
    // The cached copy carried no expiry: it must be dropped so the new one applies everywhere.
    expect(w.recording.invalidated).toEqual([[sha512Digester.digest(old.token)]]);
  });

  it("never extends the old token past its own expiry", async () => {
    const w = world();
    const old = value(
      await w.service.create(user(1), {
        tokenName: "deploy",
        expirationDate: new Date(NOW.getTime() + 10 * 60_000).toISOString(),
      }),
    );
    const rotated = value(await w.service.rotate(user(1), old.id, { gracePeriodSeconds: 3600 }));
    expect(rotated.previous.expiresAt).toBe(new Date(NOW.getTime() + 10 * 60_000).toISOString());
  });

  it("gives the successor the old token's lifetime, counted from now", async () => {
    const w = world();
    const old = value(await w.service.create(user(1), { tokenName: "deploy", expirationDate: "90d" }));
    const later = new Date(NOW.getTime() + 10 * DAY);
    w.setNow(later);
    const rotated = value(await w.service.rotate(user(1), old.id));
    expect((await w.store.findById(rotated.id))?.expiresAt).toEqual(new Date(later.getTime() + 90 * DAY));
  });

  it("keeps a never-expiring token never-expiring, unless told otherwise", async () => {
    const w = world();
    const forever = value(await w.service.create(user(1), { tokenName: "forever" }));
    const same = value(await w.service.rotate(user(1), forever.id));
    expect((await w.store.findById(same.id))?.expiresAt).toBeNull();
    const bounded = value(await w.service.rotate(user(1), same.id, { expirationDate: "ONE_WEEK" }));
    expect((await w.store.findById(bounded.id))?.expiresAt).toEqual(new Date(NOW.getTime() + 7 * DAY));
    const unbounded = value(await w.service.rotate(user(1), bounded.id, { expirationDate: null }));
    expect((await w.store.findById(unbounded.id))?.expiresAt).toBeNull();
  });

  it("refuses a past expiry or a grace past thirty days, leaving the old token alone", async () => {
    const w = world();
    const old = value(await w.service.create(user(1), { tokenName: "deploy" }));
    expect(
      failure(await w.service.rotate(user(1), old.id, { expirationDate: "2020-01-01T00:00:00Z" })).fields,
    ).toEqual(["expirationDate"]);
    expect(
      failure(await w.service.rotate(user(1), old.id, { gracePeriodSeconds: 31 * 86400 })).fields,
    ).toEqual(["gracePeriodSeconds"]);
    expect(await w.verifies(old.token)).toBe(true);
    expect((await w.service.list(user(1))).ok && (await w.store.listByUser(1)).length).toBe(1);
  });

  it("follows the same 404 / 403 rules as delete", async () => {
    const w = world();
    const personal = value(await w.service.create(user(4), { tokenName: "private" }));
    const team = value(await w.service.create(user(1), { tokenName: "ci-bot", teamId: 10 }));
    expect(failure(await w.service.rotate(user(1), personal.id)).code).toBe("not_found");
    expect(failure(await w.service.rotate(user(3), team.id)).code).toBe("forbidden");
    expect(failure(await w.service.rotate(user(4), team.id)).code).toBe("not_found");
    expect(failure(await w.service.rotate(user(1), 999)).code).toBe("not_found");
    expect(await w.verifies(personal.token)).toBe(true);
    expect(await w.verifies(team.token)).toBe(true);
  });

  it("keeps a team token's creator, so the successor acts as the same member", async () => {
    const w = world({ teamTokenRoles: ["ADMIN", "MANAGER"] });
    const old = value(await w.service.create(user(2), { tokenName: "ci-bot", teamId: 10 }));
    const rotated = value(await w.service.rotate(user(1), old.id));
    expect(await w.store.findById(rotated.id)).toMatchObject({ userId: 2, teamId: 10 });
  });
});

describe("TokenService: rows the store refuses", () => {
  /** A store whose insert fails the way a database constraint would, as the stores report it. */
  function refusingStore(error: Error) {
    const store = new MemoryTokenStore();
    store.insert = async () => {
      throw error;
    };
    return store;
  }

  it("answers 400 naming the field when the store names it, never a store outage", async () => {
    const store = refusingStore(
      new StoreConstraintError("teamId", "this user has no personal team: name a team"),
    );
    const result = await world({ store }).service.create(user(4), { tokenName: "ci-bot" });
    expect(failure(result)).toEqual({ code: "validation_failed", status: 400, fields: ["teamId"] });
    if (!result.ok) expect(result.error.message).toBe("teamId: this user has no personal team: name a team");
  });

  it("answers 500 and logs the store's reason when it cannot name a field (a bug)", async () => {
    const errors: Array<{ message: string; meta: unknown }> = [];
    const logger = {
      ...silentLogger,
      error: (message: string, meta?: unknown) => errors.push({ message, meta }),
    };
    const store = refusingStore(new StoreConstraintError(null, "the store refused the row (SQLSTATE 23514)"));
    const result = await world({ store, logger }).service.create(user(1), { tokenName: "ci-bot" });
    expect(failure(result)).toMatchObject({ code: "internal_error", status: 500 });
    expect(errors).toEqual([
      {
        message: "the token store refused a new token",
        meta: { cause: "the store refused the row (SQLSTATE 23514)" },
      },
    ]);
  });

  it("lets any other store failure through, for the router to answer 503", async () => {
    const store = refusingStore(new Error("connect ECONNREFUSED 127.0.0.1:5432"));
    await expect(world({ store }).service.create(user(1), { tokenName: "ci-bot" })).rejects.toThrow(
      /ECONNREFUSED/,
    );
  });
});

describe("TokenService construction", () => {
  it("refuses an empty list of team token roles", () => {
    const w = world();
    expect(
      () =>
        new TokenService({
          store: w.store,
          directory: w.directory,
          digester: sha512Digester,
          format: documensoTokenFormat,
          clock: () => NOW,
          teamTokenRoles: [],
        }),
    ).toThrow(TypeError);
  });
});
