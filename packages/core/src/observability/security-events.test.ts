/**
 * The security log's writer and its route through the core: the create → verify → rotate → revoke
 * walk read back from `GET /events`, the refusals of the verify path and their aggregation, a log
 * that fails, an `onEvent` that throws, retention, and the listing's authorization and paging.
 */
import { createHash } from "node:crypto";
import type { AdminCall } from "../admin/admin";
import { createTokenGate, type TokenGateOptions } from "../gate";
import { MemoryDirectory, MemoryTokenStore } from "../implementations/memory";
import { MemorySecurityLog } from "../implementations/memory-security-log";
import type { SecurityEvent } from "../lifecycle/schemas";
import type { Logger } from "../ports/logger";
import {
  decodeEventCursor,
  encodeEventCursor,
  type SecurityLog,
  type SecurityLogEntry,
} from "../ports/security-log";
import type { RateLimiter } from "../verify/verify";
import { SecurityEventRecorder } from "./security-events";

const ALICE = 1;
const BOB = 2; // MEMBER of team 7
const CAROL = 3; // outsider
const TEAM = 7;

function recordingLogger() {
  const lines: string[] = [];
  const logger: Logger = {
    warn: (message, meta) => lines.push(`warn ${message} ${JSON.stringify(meta ?? {})}`),
    error: (message, meta) => lines.push(`error ${message} ${JSON.stringify(meta ?? {})}`),
  };
  return { logger, lines };
}

function setup(options: Partial<TokenGateOptions> = {}) {
  let now = new Date("2027-03-01T12:00:00.000Z");
  const store = new MemoryTokenStore();
  const directory = new MemoryDirectory()
    .upsertUser({ id: ALICE, name: "alice", disabled: false })
    .upsertUser({ id: BOB, name: "bob", disabled: false })
    .upsertUser({ id: CAROL, name: "carol", disabled: false })
    .upsertTeam({ id: TEAM, name: "acme", ownerUserId: ALICE })
    .setRole(TEAM, ALICE, "ADMIN")
    .setRole(TEAM, BOB, "MEMBER");
  const { logger, lines } = recordingLogger();
  const gate = createTokenGate({
    store,
    directory,
    usageFlushIntervalMs: false,
    clock: () => now,
    logger,
    ...options,
  });
  const call = (extra: Partial<AdminCall>) =>
    gate.admin.handle({
      operation: "events",
      query: "",
      body: { kind: "absent" },
      actorUserId: ALICE,
      scheme: "http",
      peerAddress: "203.0.113.9",
      header: (name) => (name === "user-agent" ? "curl/8.5" : undefined),
      ...extra,
    });
  const events = async (actor: number, query = "") => {
    const answer = await call({ actorUserId: actor, query });
    return { status: answer.status, body: JSON.parse(answer.body ?? "null") };
  };
  const use = (token: string, { userAgent = "deploy-bot/1.0", clientAddress = "198.51.100.4" } = {}) =>
    gate.verifier.verify({
      authorization: `Bearer ${token}`,
      clientAddress,
      header: (name) => (name === "user-agent" ? userAgent : undefined),
    });
  return {
    gate,
    store,
    directory,
    call,
    events,
    use,
    lines,
    advance: (ms: number) => {
      now = new Date(now.getTime() + ms);
    },
  };
}

const json = { kind: "text", text: "" } as const;
const body = (value: unknown) => ({ kind: "text", text: JSON.stringify(value) }) as const;

describe("the create → verify → rotate → revoke walk", () => {
  it("is in GET /events, newest first, with actor, token, team, client and agent, and no secret", async () => {
    const t = setup();
    const created = await t.call({
      operation: "create",
      contentType: "application/json",
      body: body({ tokenName: "ci deploy", teamId: TEAM }),
    });
    expect(created.status).toBe(201);
    const { id, token } = JSON.parse(created.body!) as { id: number; token: string };
    expect((await t.use(token)).ok).toBe(true);
    const rotated = await t.call({ operation: "rotate", id: String(id), body: json });
    expect(rotated.status).toBe(201);
    const successor = JSON.parse(rotated.body!) as { id: number; token: string };
    expect((await t.call({ operation: "delete", id: String(successor.id) })).status).toBe(204);

    const { status, body: page } = await t.events(ALICE, `?teamId=${TEAM}`);
    expect(status).toBe(200);
    expect(page.nextCursor).toBeNull();
    const walk = (page.events as SecurityEvent[]).map((e) => [e.type, e.tokenId]);
    expect(walk).toEqual([
      ["revoked", successor.id],
      ["created", successor.id],
      ["rotated", id],
      ["created", id],
    ]);
    expect(page.events[3]).toMatchObject({
      actorUserId: ALICE,
      tokenName: "ci deploy",
      teamId: TEAM,
      clientAddress: "203.0.113.9",
      userAgent: "curl/8.5",
      count: 1,
      at: "2027-03-01T12:00:00.000Z",
    });
    const text = JSON.stringify(page);
    for (const secret of [token, successor.token]) {
      expect(text).not.toContain(secret);
      expect(text).not.toContain(createHash("sha512").update(secret).digest("hex"));
    }

    // The revoked token's own history stays readable by who could manage it.
    const history = await t.events(ALICE, `?tokenId=${successor.id}`);
    expect(history.status).toBe(200);
    expect(history.body.events.map((e: SecurityEvent) => e.type)).toEqual(["revoked", "created"]);
  });
});

describe("refusals on the verify path", () => {
  it("records expired_on_use with the client address and agent of the request", async () => {
    const t = setup();
    const created = await t.gate.service.create(
      { kind: "user", userId: ALICE },
      { tokenName: "short", expirationDate: "2027-03-02T00:00:00Z" },
    );
    if (!created.ok) throw created.error;
    t.advance(24 * 3600 * 1000);
    expect((await t.use(created.value.token)).ok).toBe(false);
    const { body: page } = await t.events(ALICE);
    expect(page.events[0]).toMatchObject({
      type: "expired_on_use",
      tokenId: created.value.id,
      actorUserId: ALICE,
      teamId: null,
      clientAddress: "198.51.100.4",
      userAgent: "deploy-bot/1.0",
      count: 1,
    });
  });

  it("records refused_disabled_owner", async () => {
    const t = setup();
    const created = await t.gate.service.create({ kind: "user", userId: BOB }, { tokenName: "bobs" });
    if (!created.ok) throw created.error;
    t.directory.setDisabled(BOB, true);
    expect((await t.use(created.value.token)).ok).toBe(false);
    await t.gate.securityEvents.flush();
    const [latest] = await t.gate.securityEvents.log!.list({ tokenId: created.value.id, limit: 1 });
    expect(latest).toMatchObject({ type: "refused_disabled_owner", actorUserId: BOB, count: 1 });
  });

  it("aggregates a flood of rate-limited refusals into two rows per window, counting every one", async () => {
    const refuseAll: RateLimiter = {
      consume: async () => ({ allowed: false, headers: {}, retryAfter: 1 }),
    };
    const t = setup({ rateLimiter: refuseAll });
    const created = await t.gate.service.create({ kind: "user", userId: ALICE }, { tokenName: "hammered" });
    if (!created.ok) throw created.error;
    for (let i = 0; i < 500; i++) {
      expect((await t.use(created.value.token, { clientAddress: `10.0.${i >> 8}.${i & 255}` })).ok).toBe(
        false,
      );
    }
    t.advance(61_000); // the window closes
    await t.use(created.value.token); // the first of the next window
    await t.gate.securityEvents.flush();
    const rows = await t.gate.securityEvents.log!.list({ tokenId: created.value.id, limit: 100 });
    const limited = rows.filter((e) => e.type === "rate_limited");
    expect(limited.map((e) => e.count)).toEqual([1, 499, 1]);
    expect(limited.reduce((sum, e) => sum + e.count, 0)).toBe(501);
    // The aggregate keeps the first refusal it counts.
    expect(limited[1]!.clientAddress).toBe("10.0.0.1");
  });
});

describe("a log that fails", () => {
  class BrokenLog extends MemorySecurityLog {
    broken = true;
    override async append(entries: readonly SecurityLogEntry[]) {
      if (this.broken) throw new Error("connect ECONNREFUSED 127.0.0.1:5432");
      return super.append(entries);
    }
  }

  it("never fails a verify or a create, says so once, and writes the events once it is back", async () => {
    const log = new BrokenLog();
    const t = setup({ securityLog: log });
    const created = await t.gate.service.create(
      { kind: "user", userId: ALICE },
      { tokenName: "while down", expirationDate: "2027-03-01T13:00:00Z" },
    );
    expect(created.ok).toBe(true);
    if (!created.ok) return;
    t.advance(2 * 3600 * 1000);
    for (let i = 0; i < 3; i++) {
      const outcome = await t.use(created.value.token);
      expect(outcome.ok).toBe(false);
      if (!outcome.ok) expect(outcome.answer.status).toBe(401);
      await t.gate.securityEvents.flush(false);
    }
    expect(t.lines.filter((line) => line.includes("security log: unavailable"))).toHaveLength(1);
    expect(t.lines.join("\n")).not.toContain(created.value.token);

    log.broken = false;
    await t.gate.securityEvents.flush();
    const rows = await log.list({ tokenId: created.value.id, limit: 10 });
    expect(rows.map((e) => [e.type, e.count])).toEqual([
      ["expired_on_use", 2],
      ["expired_on_use", 1],
      ["created", 1],
    ]);
    expect(t.lines.some((line) => line.includes("security log: recovered"))).toBe(true);
  });

  it("answers the admin list 503 while the log cannot be read", async () => {
    const log = new BrokenLog();
    log.list = async () => {
      throw new Error("connect ECONNREFUSED");
    };
    const t = setup({ securityLog: log });
    const answer = await t.call({ operation: "events" });
    expect(answer.status).toBe(503);
    expect(answer.body).not.toContain("ECONNREFUSED");
  });
});

describe("onEvent", () => {
  it("receives each event once it is written, with its id", async () => {
    const seen: SecurityEvent[] = [];
    const t = setup({ onEvent: (event) => void seen.push(event) });
    const created = await t.gate.service.create({ kind: "user", userId: ALICE }, { tokenName: "forwarded" });
    if (!created.ok) throw created.error;
    await t.gate.securityEvents.flush();
    expect(seen).toEqual([expect.objectContaining({ type: "created", tokenId: created.value.id, id: 1 })]);
  });

  it("that throws or rejects breaks nothing and is logged once", async () => {
    let calls = 0;
    const t = setup({
      onEvent: (event) => {
        calls++;
        if (event.id % 2) throw new Error("siem down");
        return Promise.reject(new Error("siem down"));
      },
    });
    for (let i = 0; i < 4; i++) {
      const created = await t.gate.service.create(
        { kind: "user", userId: ALICE },
        { tokenName: `token ${i}` },
      );
      expect(created.ok).toBe(true);
    }
    await t.gate.securityEvents.flush();
    await new Promise((resolve) => setImmediate(resolve));
    expect(calls).toBe(4);
    expect(t.lines.filter((line) => line.includes("onEvent hook: unavailable"))).toHaveLength(1);
    expect((await t.events(ALICE)).body.events).toHaveLength(4);
  });
});

describe("retention", () => {
  it("prunes entries older than securityLogRetentionDays when it writes, in bounded batches", async () => {
    const log = new MemorySecurityLog();
    const prune = jest.spyOn(log, "prune");
    const t = setup({ securityLog: log, securityLogRetentionDays: 7 });
    await t.gate.service.create({ kind: "user", userId: ALICE }, { tokenName: "old one" });
    await t.gate.securityEvents.flush();
    t.advance(8 * 24 * 3600 * 1000);
    await t.gate.service.create({ kind: "user", userId: ALICE }, { tokenName: "new one" });
    await t.gate.securityEvents.flush();
    const left = await log.list({ limit: 10 });
    expect(left.map((e) => e.tokenName)).toEqual(["new one"]);
    expect(prune).toHaveBeenLastCalledWith(new Date("2027-03-02T12:00:00.000Z"), 1000);
  });

  it("refuses a retention that is not a positive number, naming the option", () => {
    expect(() => setup({ securityLogRetentionDays: 0 })).toThrow(/securityLogRetentionDays/);
    expect(() => setup({ securityLog: {} as SecurityLog })).toThrow(/securityLog/);
  });
});

describe("GET /events: who sees what", () => {
  async function world() {
    const t = setup();
    const personal = await t.gate.service.create({ kind: "user", userId: BOB }, { tokenName: "bob own" });
    const team = await t.gate.service.create(
      { kind: "user", userId: ALICE },
      { tokenName: "team one", teamId: TEAM },
    );
    const alices = await t.gate.service.create({ kind: "user", userId: ALICE }, { tokenName: "alice own" });
    if (!personal.ok || !team.ok || !alices.ok) throw new Error("setup");
    return { t, personal: personal.value.id, team: team.value.id, alices: alices.value.id };
  }

  it("without filters: the caller's personal tokens' events only", async () => {
    const { t, personal, alices } = await world();
    expect((await t.events(BOB)).body.events.map((e: SecurityEvent) => e.tokenId)).toEqual([personal]);
    expect((await t.events(ALICE)).body.events.map((e: SecurityEvent) => e.tokenId)).toEqual([alices]);
  });

  it("a team's events need a role that may manage its tokens, as the token list does", async () => {
    const { t } = await world();
    for (const [user, status] of [
      [ALICE, 200],
      [BOB, 403],
      [CAROL, 403],
    ] as const) {
      const list = await t.call({ operation: "list", actorUserId: user, query: `?teamId=${TEAM}` });
      expect(list.status).toBe(status);
      expect((await t.events(user, `?teamId=${TEAM}`)).status).toBe(status);
    }
  });

  it("a token someone else owns is 404, as deleting it would be, even after it is revoked", async () => {
    const { t, personal, team } = await world();
    expect((await t.events(ALICE, `?tokenId=${personal}`)).status).toBe(404);
    expect((await t.events(CAROL, `?tokenId=${team}`)).status).toBe(404);
    expect((await t.events(BOB, `?tokenId=${team}`)).status).toBe(403);
    expect((await t.gate.service.delete({ kind: "user", userId: BOB }, personal)).ok).toBe(true);
    expect((await t.events(ALICE, `?tokenId=${personal}`)).status).toBe(404);
    expect((await t.events(BOB, `?tokenId=${personal}`)).status).toBe(200);
    expect((await t.events(ALICE, "?tokenId=999")).status).toBe(404);
  });

  it("signed out is 401; bad parameters are 400 naming the field", async () => {
    const { t } = await world();
    expect((await t.call({ operation: "events", actorUserId: null })).status).toBe(401);
    for (const [query, field] of [
      ["?limit=0", "limit"],
      ["?limit=101", "limit"],
      ["?teamId=abc", "teamId"],
      ["?tokenId=-1", "tokenId"],
      ["?cursor=!!", "cursor"],
      [`?cursor=${Buffer.from("x1").toString("base64url")}`, "cursor"],
      ["?since=1", "since"],
      ["?teamId=7&teamId=8", "teamId"],
    ]) {
      const { status, body: failure } = await t.events(ALICE, query);
      expect([query, status]).toEqual([query, 400]);
      expect(failure.issues[0].field).toBe(field);
    }
  });

  it("pages by an opaque cursor until nextCursor is null, without repeats or gaps", async () => {
    const t = setup();
    for (let i = 0; i < 7; i++) {
      await t.gate.service.create({ kind: "user", userId: ALICE }, { tokenName: `token ${i}` });
    }
    const names: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const query: string = `?limit=3${cursor ? `&cursor=${cursor}` : ""}`;
      const { status, body: page } = await t.events(ALICE, query);
      expect(status).toBe(200);
      expect(page.events.length).toBeLessThanOrEqual(3);
      names.push(...page.events.map((e: SecurityEvent) => e.tokenName));
      cursor = page.nextCursor;
      pages++;
    } while (cursor);
    expect(pages).toBe(3);
    expect(names).toEqual([6, 5, 4, 3, 2, 1, 0].map((i) => `token ${i}`));
  });

  it("answers 404 when the gate keeps no log", async () => {
    const t = setup({ securityLog: false });
    expect((await t.events(ALICE)).status).toBe(404);
  });
});

describe("the cursor", () => {
  it("round-trips a position and refuses anything it did not make", () => {
    const position = { at: new Date("2026-05-01T12:00:00.123Z"), id: 42 };
    expect(decodeEventCursor(encodeEventCursor(position))).toEqual(position);
    expect(encodeEventCursor(position)).toMatch(/^[A-Za-z0-9_-]+$/);
    for (const bad of [
      "",
      "abc",
      Buffer.from("e0").toString("base64url"),
      Buffer.from("e42").toString("base64url"),
      Buffer.from("e1.0").toString("base64url"),
      Buffer.from("e-1.5").toString("base64url"),
    ]) {
      expect(decodeEventCursor(bad)).toBeNull();
    }
  });
});

describe("SecurityEventRecorder", () => {
  it("strips control characters from the user agent and bounds its length", async () => {
    const log = new MemorySecurityLog();
    const recorder = new SecurityEventRecorder({
      log,
      clock: () => new Date("2027-01-01T00:00:00Z"),
      logger: recordingLogger().logger,
    });
    recorder.record("created", { id: 1, name: "n", teamId: null, userId: 1 }, 1, {
      clientAddress: "::ffff:192.0.2.7",
      userAgent: `evil\r\nX-Injected: 1\u202e${"a".repeat(400)}`,
    });
    await recorder.close();
    const [entry] = await log.list({ limit: 1 });
    expect(entry!.clientAddress).toBe("192.0.2.7");
    expect(entry!.userAgent).toMatch(/^evilX-Injected: 1a+$/);
    expect(entry!.userAgent!.length).toBe(256);
  });
});
