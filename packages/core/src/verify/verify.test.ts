import { MemoryDirectory, MemoryTokenStore } from "../implementations/memory";
import type { UsageRecorder } from "../lifecycle/usage";
import type { Logger } from "../ports/logger";
import type { AuthIdentity, CredentialLookup, ResolvedCredential } from "../ports/types";
import { hmacDigester, sha512Digester, type TokenDigester } from "./digest";
import { storeLookup } from "./lookup";
import { checksumTokenFormat, documensoTokenFormat } from "./token-format";
import {
  type FailureLimiter,
  type RateLimiter,
  scopeGuard,
  TokenVerifier,
  type VerifierConfig,
  type VerifyOutcome,
} from "./verify";

const NOW = new Date("2025-06-01T12:00:00.000Z");
const SECOND = 1000;

/** A logger that keeps what it was told, so tests can count lines and read them for secrets. */
function recordingLogger() {
  const lines: { level: "warn" | "error" | "info"; message: string; meta: string }[] = [];
  const logger: Logger = {
    warn: (message, meta) => lines.push({ level: "warn", message, meta: JSON.stringify(meta ?? {}) }),
    error: (message, meta) => lines.push({ level: "error", message, meta: JSON.stringify(meta ?? {}) }),
  };
  return { logger, lines };
}

/** A lookup that counts calls and can be switched off, like a store whose server went away. */
function switchableLookup(inner: CredentialLookup) {
  const state = { calls: 0, down: false };
  const lookup: CredentialLookup = {
    async lookup(digest: string): Promise<ResolvedCredential | null> {
      state.calls++;
      if (state.down) throw new Error("connect ECONNREFUSED 127.0.0.1:5432");
      return inner.lookup(digest);
    },
  };
  return { lookup, state };
}

function recordingUsage() {
  const touched: { id: number; at: Date }[] = [];
  const usage: UsageRecorder = {
    touch: (id, at) => touched.push({ id, at }),
    flush: async () => {},
    close: async () => {},
  };
  return { usage, touched };
}

/**
 * A world of users and teams: user 1 (Ada) owns team 10, where user 2 (Bob) is a MEMBER; user 3
 * (Cy) owns team 20; user 4 is disabled.
 */
function world(overrides: Partial<VerifierConfig> = {}) {
  let now = NOW;
  const store = new MemoryTokenStore();
  const directory = new MemoryDirectory()
    .upsertUser({ id: 1, name: "Ada", disabled: false })
    .upsertUser({ id: 2, name: "Bob", disabled: false })
    .upsertUser({ id: 3, name: "Cy", disabled: false })
    .upsertUser({ id: 4, name: "Dee", disabled: true })
    .upsertTeam({ id: 10, name: "Acme", ownerUserId: 1 })
    .setRole(10, 1, "ADMIN")
    .setRole(10, 2, "MEMBER")
    .upsertTeam({ id: 20, name: "Cy's", ownerUserId: 3 })
    .setRole(20, 3, "ADMIN")
    .setRole(20, 2, "MEMBER");
  const source = switchableLookup(storeLookup(store, directory));
  const { logger, lines } = recordingLogger();
  const { usage, touched } = recordingUsage();
  const verifier = new TokenVerifier({
    lookup: source.lookup,
    digesters: [sha512Digester],
    formats: [documensoTokenFormat],
    clock: () => now,
    realm: "api",
    logger,
    usage,
    ...overrides,
  });

  async function issue(
    options: {
      userId?: number | null;
      teamId?: number | null;
      expiresAt?: Date | null;
      scopes?: string[];
      digester?: TokenDigester;
      token?: string;
    } = {},
  ) {
    const token = options.token ?? documensoTokenFormat.generate();
    const digester = options.digester ?? sha512Digester;
    const record = await store.insert({
      name: "deploy",
      digest: digester.digest(token),
      algorithm: digester.algorithm,
      userId: options.userId === undefined ? 1 : options.userId,
      teamId: options.teamId ?? null,
      createdAt: new Date(NOW.getTime() - 3600 * SECOND),
      expiresAt: options.expiresAt ?? null,
      scopes: options.scopes ?? [],
    });
    return { token, record };
  }

  return {
    store,
    directory,
    verifier,
    source,
    lines,
    touched,
    issue,
    setNow: (date: Date) => {
      now = date;
    },
    bearer: (token: string, clientAddress?: string) =>
      verifier.verify({ authorization: `Bearer ${token}`, clientAddress }),
  };
}

function expectFailure(outcome: VerifyOutcome, code: string, status: number, challenge?: string) {
  expect(outcome.ok).toBe(false);
  if (outcome.ok) return;
  expect(outcome.error.code).toBe(code);
  expect(outcome.answer.status).toBe(status);
  expect(JSON.parse(outcome.answer.body ?? "").error).toBe(code);
  if (challenge !== undefined) expect(outcome.answer.headers["www-authenticate"]).toBe(challenge);
}

function identityOf(outcome: VerifyOutcome): AuthIdentity {
  if (!outcome.ok) throw new Error(`expected success, got ${outcome.error.code}`);
  return outcome.identity;
}

describe("TokenVerifier: outcomes in DESIGN.md order", () => {
  it("1. no credentials → 401 with a bare challenge, and no store read", async () => {
    const w = world();
    expectFailure(
      await w.verifier.verify({ authorization: undefined }),
      "missing_credentials",
      401,
      'Bearer realm="api"',
    );
    expectFailure(
      await w.verifier.verify({ authorization: "Basic dXNlcjpwYXNz" }),
      "missing_credentials",
      401,
    );
    expect(w.source.state.calls).toBe(0);
  });

  it("2. a malformed request → 400 invalid_request, and no store read", async () => {
    const w = world();
    const { token } = await w.issue();
    for (const authorization of [
      `Bearer ${token} ${token}`,
      [`Bearer ${token}`, `Bearer ${token}`],
      "Bearer",
    ]) {
      expectFailure(
        await w.verifier.verify({ authorization }),
        "invalid_request",
        400,
        'Bearer realm="api", error="invalid_request"',
      );
    }
    expect(w.source.state.calls).toBe(0);
  });

  it("3. an unknown token of the right shape → 401 invalid_token after one lookup", async () => {
    const w = world();
    expectFailure(
      await w.bearer("api_0123456789abcdef"),
      "invalid_token",
      401,
      'Bearer realm="api", error="invalid_token"',
    );
    expect(w.source.state.calls).toBe(1);
  });

  it("3. a token of the wrong shape → 401 invalid_token without any lookup", async () => {
    const w = world();
    for (const token of ["api_TOOSHORT", "ghp_0123456789abcdef", "api_0123456789ABCDEF", "x".repeat(5000)]) {
      expectFailure(await w.bearer(token), "invalid_token", 401);
    }
    expect(w.source.state.calls).toBe(0);
  });

  it("3. a revoked (deleted) token → 401 invalid_token", async () => {
    const w = world();
    const { token, record } = await w.issue();
    expect((await w.bearer(token)).ok).toBe(true);
    await w.store.delete(record.id);
    expectFailure(await w.bearer(token), "invalid_token", 401);
  });

  it("3. a token whose user no longer exists → 401 invalid_token", async () => {
    const w = world();
    const { token } = await w.issue({ userId: 99 });
    expectFailure(await w.bearer(token), "invalid_token", 401);
  });

  it("3. a team token whose creator left the team, or whose team is gone → 401 invalid_token", async () => {
    const w = world();
    const bobs = await w.issue({ userId: 2, teamId: 10 });
    const orphan = await w.issue({ userId: 1, teamId: 77 });
    expect((await w.bearer(bobs.token)).ok).toBe(true);
    w.directory.setRole(10, 2, null);
    expectFailure(await w.bearer(bobs.token), "invalid_token", 401);
    expectFailure(await w.bearer(orphan.token), "invalid_token", 401);
  });

  it('formerMemberTokens: "accept" keeps a former member\'s team token working, as Documenso does', async () => {
    const w = world({ formerMemberTokens: "accept" });
    const bobs = await w.issue({ userId: 2, teamId: 10 });
    const orphan = await w.issue({ userId: 1, teamId: 77 });
    w.directory.setRole(10, 2, null);
    expect(identityOf(await w.bearer(bobs.token))).toMatchObject({ userId: 2, teamId: 10 });
    // The team itself must still exist, and the creator must still be enabled.
    expectFailure(await w.bearer(orphan.token), "invalid_token", 401);
    w.directory.setDisabled(2, true);
    expectFailure(await w.bearer(bobs.token), "owner_disabled", 401);
  });

  it("4. a disabled owner → 401 invalid_token in the challenge, owner_disabled in the body", async () => {
    const w = world();
    const { token } = await w.issue({ userId: 4 });
    expectFailure(await w.bearer(token), "owner_disabled", 401, 'Bearer realm="api", error="invalid_token"');
  });

  it("4. a team token whose team owner is disabled → owner_disabled, though its creator is fine", async () => {
    const w = world();
    const { token } = await w.issue({ userId: 2, teamId: 10 });
    w.directory.setDisabled(1, true);
    expectFailure(await w.bearer(token), "owner_disabled", 401);
  });

  it("4 before 5: disabled and expired answers owner_disabled", async () => {
    const w = world();
    const { token } = await w.issue({ userId: 4, expiresAt: new Date(NOW.getTime() - SECOND) });
    expectFailure(await w.bearer(token), "owner_disabled", 401);
  });

  it("5. expired → 401 with the expiry description, checked against the clock on every request", async () => {
    const w = world();
    const expiresAt = new Date(NOW.getTime() + 60 * SECOND);
    const { token } = await w.issue({ expiresAt });
    expect((await w.bearer(token)).ok).toBe(true);
    w.setNow(new Date(expiresAt.getTime() - 1));
    expect((await w.bearer(token)).ok).toBe(true);
    // At the instant itself the token is expired.
    w.setNow(expiresAt);
    expectFailure(
      await w.bearer(token),
      "token_expired",
      401,
      'Bearer realm="api", error="invalid_token", error_description="The access token expired"',
    );
  });

  it("accepts a valid personal token and attaches who it acts as", async () => {
    const w = world();
    const expiresAt = new Date("2026-01-01T00:00:00Z");
    const { token, record } = await w.issue({ userId: 1, scopes: ["documents:read"], expiresAt });
    const identity = identityOf(await w.bearer(token));
    expect(identity).toEqual({
      tokenId: record.id,
      tokenName: "deploy",
      userId: 1,
      teamId: null,
      scopes: ["documents:read"],
      expiresAt,
      user: { id: 1, name: "Ada", disabled: false },
      team: null,
    });
  });

  it("accepts the raw Documenso header form", async () => {
    const w = world();
    const { token } = await w.issue();
    expect((await w.verifier.verify({ authorization: token })).ok).toBe(true);
  });

  it("lets a team token act as its creator inside the team", async () => {
    const w = world();
    const { token } = await w.issue({ userId: 2, teamId: 10 });
    const identity = identityOf(await w.bearer(token));
    expect(identity.userId).toBe(2);
    expect(identity.teamId).toBe(10);
    expect(identity.team).toEqual({ id: 10, name: "Acme", ownerUserId: 1 });
  });

  it("lets a legacy team token with no creator act as the team's owner", async () => {
    const w = world();
    const { token } = await w.issue({ userId: null, teamId: 20 });
    const identity = identityOf(await w.bearer(token));
    expect(identity.userId).toBe(3);
    expect(identity.user.name).toBe("Cy");
  });

  it("records the use, off the request path, with the request's time", async () => {
    const w = world();
    const { token, record } = await w.issue();
    await w.bearer(token);
    expectFailure(await w.bearer("api_0123456789abcdef"), "invalid_token", 401);
    expect(w.touched).toEqual([{ id: record.id, at: NOW }]);
  });
});

describe("TokenVerifier: several digesters and formats", () => {
  const oldKey = hmacDigester({ keyId: "2024", secret: "o".repeat(32) });
  const newKey = hmacDigester({ keyId: "2025", secret: "n".repeat(32) });

  it("still verifies a token issued under the old HMAC key when verifying with [new, old]", async () => {
    const w = world({ digesters: [newKey, oldKey] });
    const old = await w.issue({ digester: oldKey });
    const fresh = await w.issue({ digester: newKey });
    expect(identityOf(await w.bearer(old.token)).tokenId).toBe(old.record.id);
    expect(identityOf(await w.bearer(fresh.token)).tokenId).toBe(fresh.record.id);
  });

  it("stops verifying old-key tokens once the old key is dropped", async () => {
    const w = world({ digesters: [newKey] });
    const old = await w.issue({ digester: oldKey });
    expectFailure(await w.bearer(old.token), "invalid_token", 401);
  });

  it("verifies Documenso's SHA-512 rows next to HMAC ones", async () => {
    const w = world({ digesters: [newKey, sha512Digester] });
    const documenso = await w.issue({ digester: sha512Digester });
    expect((await w.bearer(documenso.token)).ok).toBe(true);
  });

  it("looks up once per digester for an unknown token, and once when the first one finds it", async () => {
    const w = world({ digesters: [newKey, oldKey] });
    await w.bearer("api_0123456789abcdef");
    expect(w.source.state.calls).toBe(2);
    const fresh = await w.issue({ digester: newKey });
    w.source.state.calls = 0;
    await w.bearer(fresh.token);
    expect(w.source.state.calls).toBe(1);
  });

  it("accepts every configured format and refuses a checksum typo before any lookup", async () => {
    const checksum = checksumTokenFormat({ prefix: "acme_" });
    const w = world({ formats: [checksum, documensoTokenFormat] });
    const strong = await w.issue({ token: checksum.generate() });
    const legacy = await w.issue();
    expect((await w.bearer(strong.token)).ok).toBe(true);
    expect((await w.bearer(legacy.token)).ok).toBe(true);
    w.source.state.calls = 0;
    const last = strong.token.at(-1) === "A" ? "B" : "A";
    expectFailure(await w.bearer(strong.token.slice(0, -1) + last), "invalid_token", 401);
    expect(w.source.state.calls).toBe(0);
  });

  it("refuses to be built without a digester, a format, or with a bad realm", () => {
    const w = world();
    const base = { lookup: w.source.lookup, clock: () => NOW, logger: recordingLogger().logger };
    expect(
      () => new TokenVerifier({ ...base, digesters: [], formats: [documensoTokenFormat], realm: "api" }),
    ).toThrow(TypeError);
    expect(
      () => new TokenVerifier({ ...base, digesters: [sha512Digester], formats: [], realm: "api" }),
    ).toThrow(TypeError);
    expect(
      () =>
        new TokenVerifier({
          ...base,
          digesters: [sha512Digester],
          formats: [documensoTokenFormat],
          realm: 'a"b',
        }),
    ).toThrow(TypeError);
  });
});

describe("TokenVerifier: a cache that answers from memory (peek)", () => {
  /**
   * A cache over the world's lookup that holds what it has loaded and answers `peek` from it:
   * the shape of `tieredCache`'s in-process tier, without Redis.
   */
  function peekingWorld(overrides: Partial<VerifierConfig> = {}) {
    const held = new Map<string, ResolvedCredential | null>();
    const peeks: string[] = [];
    let w: ReturnType<typeof world> | undefined;
    const cache: CredentialLookup = {
      peek(digest) {
        peeks.push(digest);
        return held.get(digest);
      },
      async lookup(digest) {
        const value = await w!.source.lookup.lookup(digest);
        held.set(digest, value);
        return value;
      },
    };
    w = world({ lookup: cache, ...overrides });
    return { ...w, held, peeks };
  }

  it("answers a held credential without the lookup, and still checks expiry on every request", async () => {
    const w = peekingWorld();
    const { token, record } = await w.issue({ expiresAt: new Date(NOW.getTime() + 10 * SECOND) });
    expect(identityOf(await w.bearer(token)).tokenId).toBe(record.id);
    expect(w.source.state.calls).toBe(1);
    expect(identityOf(await w.bearer(token)).tokenId).toBe(record.id);
    expect(w.source.state.calls).toBe(1);
    expect(w.touched).toHaveLength(2);
    w.setNow(new Date(NOW.getTime() + 10 * SECOND));
    expectFailure(await w.bearer(token), "token_expired", 401);
    expect(w.source.state.calls).toBe(1);
  });

  it("refuses a digest held as unknown without asking the store", async () => {
    const w = peekingWorld();
    expectFailure(await w.bearer("api_0123456789abcdef"), "invalid_token", 401);
    expectFailure(await w.bearer("api_0123456789abcdef"), "invalid_token", 401);
    expect(w.source.state.calls).toBe(1);
  });

  it("judges a held credential like a loaded one: disabled owner, lost membership, scope, limit", async () => {
    const consumed: number[] = [];
    const w = peekingWorld({
      limiter: {
        consume: async (identity) => {
          consumed.push(identity.tokenId);
          return { allowed: true, headers: { "ratelimit-policy": '"default";q=100;w=60' } };
        },
      },
    });
    const disabled = await w.issue({ userId: 4 });
    const bobs = await w.issue({ userId: 2, teamId: 10, scopes: ["read"] });
    for (let round = 0; round < 2; round++) {
      expectFailure(await w.bearer(disabled.token), "owner_disabled", 401);
      const outcome = await w.verifier.verify(
        { authorization: `Bearer ${bobs.token}` },
        { scopes: ["read"] },
      );
      expect(outcome.ok && outcome.headers["ratelimit-policy"]).toBe('"default";q=100;w=60');
      expectFailure(
        await w.verifier.verify({ authorization: `Bearer ${bobs.token}` }, { scopes: ["write"] }),
        "insufficient_scope",
        403,
      );
    }
    expect(w.source.state.calls).toBe(2);
    expect(consumed).toEqual([bobs.record.id, bobs.record.id]);
    // What the cache holds is its business to invalidate; the verifier trusts it as it trusts lookup.
    w.directory.setRole(10, 2, null);
    w.held.clear();
    expectFailure(await w.bearer(bobs.token), "invalid_token", 401);
  });

  it("with several digesters, moves past a held unknown and looks up from the first one not held", async () => {
    const oldKey = hmacDigester({ keyId: "2024", secret: "o".repeat(32) });
    const newKey = hmacDigester({ keyId: "2025", secret: "n".repeat(32) });
    const w = peekingWorld({ digesters: [newKey, oldKey] });
    const old = await w.issue({ digester: oldKey });
    w.held.set(newKey.digest(old.token), null);
    expect(identityOf(await w.bearer(old.token)).tokenId).toBe(old.record.id);
    // One lookup: the new key's digest was held as unknown, so only the old key's went out.
    expect(w.source.state.calls).toBe(1);
    expect(identityOf(await w.bearer(old.token)).tokenId).toBe(old.record.id);
    expect(w.source.state.calls).toBe(1);
    expect(w.peeks.slice(-2)).toEqual([newKey.digest(old.token), oldKey.digest(old.token)]);
  });
});

describe("TokenVerifier: the store cannot be reached", () => {
  it("answers 503 with Retry-After, never a 401 and never a pass", async () => {
    const w = world();
    const { token } = await w.issue();
    w.source.state.down = true;
    const outcome = await w.bearer(token);
    expectFailure(outcome, "store_unavailable", 503);
    if (!outcome.ok) {
      expect(outcome.answer.headers["retry-after"]).toBe("5");
      expect(outcome.answer.headers["www-authenticate"]).toBeUndefined();
    }
    expect(w.touched).toEqual([]);
  });

  it("uses the configured Retry-After", async () => {
    const w = world({ unavailableRetryAfter: 30 });
    w.source.state.down = true;
    const outcome = await w.bearer("api_0123456789abcdef");
    expect(outcome.ok ? undefined : outcome.answer.headers["retry-after"]).toBe("30");
  });

  it("logs the outage once across many requests, and the recovery once", async () => {
    const w = world();
    const { token } = await w.issue();
    w.source.state.down = true;
    for (let i = 0; i < 50; i++) expectFailure(await w.bearer(token), "store_unavailable", 503);
    expect(w.lines).toEqual([
      { level: "error", message: "token store: unavailable", meta: expect.stringContaining("ECONNREFUSED") },
    ]);

    w.source.state.down = false;
    for (let i = 0; i < 50; i++) expect((await w.bearer(token)).ok).toBe(true);
    expect(w.lines).toHaveLength(2);
    expect(w.lines[1]).toEqual({ level: "warn", message: "token store: recovered", meta: "{}" });

    // A second outage is news again.
    w.source.state.down = true;
    await w.bearer(token);
    await w.bearer(token);
    expect(w.lines.map((l) => l.message)).toEqual([
      "token store: unavailable",
      "token store: recovered",
      "token store: unavailable",
    ]);
  });

  it("never logs the token or its digest", async () => {
    const w = world();
    const { token } = await w.issue();
    w.source.state.down = true;
    await w.bearer(token);
    w.source.state.down = false;
    await w.bearer(token);
    const logged = JSON.stringify(w.lines);
    expect(logged).not.toContain(token);
    expect(logged).not.toContain(sha512Digester.digest(token));
  });
});

describe("TokenVerifier: rate limiter hook", () => {
  function limiter(decide: (identity: AuthIdentity) => ReturnType<RateLimiter["consume"]>) {
    const seen: { tokenId: number; at: Date }[] = [];
    const hook: RateLimiter = {
      consume: (identity, now) => {
        seen.push({ tokenId: identity.tokenId, at: now });
        return decide(identity);
      },
    };
    return { hook, seen };
  }

  it("passes the limiter's headers through on success", async () => {
    const headers = { "ratelimit-limit": "100", "ratelimit-remaining": "99", "ratelimit-reset": "60" };
    const l = limiter(async () => ({ allowed: true, headers }));
    const w = world({ limiter: l.hook });
    const { token, record } = await w.issue();
    const outcome = await w.bearer(token);
    expect(outcome.ok && outcome.headers).toEqual(headers);
    expect(l.seen).toEqual([{ tokenId: record.id, at: NOW }]);
  });

  it("answers 429 with Retry-After and the RateLimit headers, and records no use", async () => {
    const headers = { "ratelimit-limit": "100", "ratelimit-remaining": "0", "ratelimit-reset": "42" };
    const l = limiter(async () => ({ allowed: false, headers, retryAfter: 42 }));
    const w = world({ limiter: l.hook });
    const { token } = await w.issue();
    const outcome = await w.bearer(token);
    expectFailure(outcome, "rate_limited", 429);
    if (!outcome.ok) {
      expect(outcome.answer.headers).toMatchObject({ ...headers, "retry-after": "42" });
      expect(outcome.answer.headers["www-authenticate"]).toBeUndefined();
    }
    expect(w.touched).toEqual([]);
  });

  it("is only asked about tokens that passed every other check", async () => {
    const l = limiter(async () => ({ allowed: true, headers: {} }));
    const w = world({ limiter: l.hook });
    const expired = await w.issue({ expiresAt: NOW });
    const disabled = await w.issue({ userId: 4 });
    await w.bearer(expired.token);
    await w.bearer(disabled.token);
    await w.bearer("api_0123456789abcdef");
    await w.verifier.verify({ authorization: undefined });
    expect(l.seen).toEqual([]);
  });

  it("fails closed with a 503 when the limiter throws, and logs that once", async () => {
    let down = true;
    const l = limiter(async () => {
      if (down) throw new Error("redis: connection closed");
      return { allowed: true, headers: {} };
    });
    const w = world({ limiter: l.hook });
    const { token } = await w.issue();
    for (let i = 0; i < 10; i++) expectFailure(await w.bearer(token), "store_unavailable", 503);
    expect(w.lines.map((line) => line.message)).toEqual(["rate limiter: unavailable"]);
    down = false;
    expect((await w.bearer(token)).ok).toBe(true);
    expect(w.lines.map((line) => line.message)).toEqual([
      "rate limiter: unavailable",
      "rate limiter: recovered",
    ]);
  });
});

describe("TokenVerifier: failure limiter hook", () => {
  function failureLimiter(blockedFor: (address: string) => number | null) {
    const failures: string[] = [];
    const asked: string[] = [];
    const hook: FailureLimiter = {
      blocked: async (address) => {
        asked.push(address);
        return blockedFor(address);
      },
      recordFailure: async (address) => {
        failures.push(address);
      },
    };
    return { hook, failures, asked };
  }

  it("records a failure for each 401 from a client, and none for a success", async () => {
    const f = failureLimiter(() => null);
    const w = world({ failureLimiter: f.hook });
    const good = await w.issue();
    const expired = await w.issue({ expiresAt: NOW });
    await w.bearer(good.token, "203.0.113.7");
    await w.bearer("api_0123456789abcdef", "203.0.113.7");
    await w.bearer(expired.token, "203.0.113.7");
    await w.bearer("wrong-shape", "198.51.100.1");
    expect(f.failures).toEqual(["203.0.113.7", "203.0.113.7", "198.51.100.1"]);
  });

  it("refuses a blocked client with 429 before any lookup, even with a valid token", async () => {
    const f = failureLimiter((address) => (address === "203.0.113.7" ? 90 : null));
    const w = world({ failureLimiter: f.hook });
    const { token } = await w.issue();
    const outcome = await w.bearer(token, "203.0.113.7");
    expectFailure(outcome, "rate_limited", 429);
    if (!outcome.ok) expect(outcome.answer.headers["retry-after"]).toBe("90");
    expect(w.source.state.calls).toBe(0);
    expect((await w.bearer(token, "198.51.100.1")).ok).toBe(true);
  });

  it("is not consulted without a client address, nor for requests without credentials", async () => {
    const f = failureLimiter(() => 60);
    const w = world({ failureLimiter: f.hook });
    const { token } = await w.issue();
    expect((await w.bearer(token)).ok).toBe(true);
    expectFailure(
      await w.verifier.verify({ authorization: undefined, clientAddress: "203.0.113.7" }),
      "missing_credentials",
      401,
    );
    expect(f.asked).toEqual([]);
  });

  it("fails closed with a 503 when it cannot say whether a client is blocked", async () => {
    const hook: FailureLimiter = {
      blocked: async () => {
        throw new Error("redis down");
      },
      recordFailure: async () => {},
    };
    const w = world({ failureLimiter: hook });
    const { token } = await w.issue();
    expectFailure(await w.bearer(token, "203.0.113.7"), "store_unavailable", 503);
    expectFailure(await w.bearer(token, "203.0.113.7"), "store_unavailable", 503);
    expect(w.lines.map((l) => l.message)).toEqual(["failure limiter: unavailable"]);
  });

  it("still answers the 401 when the failure cannot be recorded", async () => {
    const hook: FailureLimiter = {
      blocked: async () => null,
      recordFailure: async () => {
        throw new Error("redis down");
      },
    };
    const w = world({ failureLimiter: hook });
    expectFailure(await w.bearer("api_0123456789abcdef", "203.0.113.7"), "invalid_token", 401);
    expectFailure(await w.bearer("api_0123456789abcdef", "203.0.113.7"), "invalid_token", 401);
    expect(w.lines.map((l) => l.message)).toEqual(["failure limiter (recording failures): unavailable"]);
  });
});

describe("scopeGuard", () => {
  const identity = (scopes: string[]): AuthIdentity => ({
    tokenId: 1,
    tokenName: "deploy",
    userId: 1,
    teamId: null,
    scopes,
    expiresAt: null,
    user: { id: 1, disabled: false },
    team: null,
  });

  it("lets through an identity holding every required scope", () => {
    const guard = scopeGuard(["documents:read", "documents:write"], "api");
    expect(guard(identity(["documents:write", "documents:read", "templates:read"]))).toBeNull();
  });

  it("answers 403 insufficient_scope naming every required scope when one is missing", () => {
    const guard = scopeGuard(["documents:read", "documents:write"], "api");
    for (const scopes of [[], ["documents:read"], ["documents:write"], ["documents:*"]]) {
      const answer = guard(identity(scopes));
      expect(answer?.status).toBe(403);
      expect(answer?.headers["www-authenticate"]).toBe(
        'Bearer realm="api", error="insufficient_scope", scope="documents:read documents:write"',
      );
      expect(JSON.parse(answer?.body ?? "")).toEqual({
        error: "insufficient_scope",
        message: "The access token lacks a required scope",
        scope: "documents:read documents:write",
      });
    }
  });

  it.each([[[]], [["two words"]], [['quo"te']], [["back\\slash"]], [[""]]])(
    "refuses to be built for %j",
    (required) => {
      expect(() => scopeGuard(required, "api")).toThrow(TypeError);
    },
  );

  it("refuses a realm that cannot be quoted", () => {
    expect(() => scopeGuard(["a"], 'x"y')).toThrow(TypeError);
  });
});
