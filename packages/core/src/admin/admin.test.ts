import { createTokenGate } from "../gate";
import { MemoryDirectory, MemoryTokenStore } from "../implementations/memory";
import { isStoreInputFault } from "../ports/store-fault";
import type { TokenRecord } from "../ports/types";
import {
  type AdminCall,
  type AdminOperation,
  checkAdminRouterOptions,
  matchAdminRoute,
  type TokenAdmin,
} from "./admin";

/** A store that fails each call with the error a test sets, as a database driver would throw it. */
class FailingStore extends MemoryTokenStore {
  failure: unknown;

  override async findById(id: number): Promise<TokenRecord | null> {
    if (this.failure) throw this.failure;
    return super.findById(id);
  }

  override async listByTeam(teamId: number): Promise<TokenRecord[]> {
    if (this.failure) throw this.failure;
    return super.listByTeam(teamId);
  }
}

function setup() {
  const store = new FailingStore();
  const directory = new MemoryDirectory()
    .upsertUser({ id: 1, name: "alice", disabled: false })
    .upsertTeam({ id: 7, name: "acme", ownerUserId: 1 })
    .setRole(7, 1, "ADMIN");
  const gate = createTokenGate({ store, directory, usageFlushIntervalMs: false });
  const call = (admin: TokenAdmin, operation: AdminOperation, extra: Partial<AdminCall> = {}) =>
    admin.handle({
      operation,
      query: "",
      body: { kind: "absent" },
      actorUserId: 1,
      scheme: "http",
      header: () => undefined,
      ...extra,
    });
  return { store, admin: gate.admin, call };
}

describe("a body the router gave up on", () => {
  it.each([
    ["too_large", 413, "payload_too_large"],
    ["timed_out", 408, "request_timeout"],
  ] as const)("%s is %d and closes the connection, whoever sent it", async (kind, status, error) => {
    const { admin, call } = setup();
    for (const extra of [
      {},
      { actorUserId: null },
      // Sent from another origin: Origin https://evil.example, Host tokens.example.
      { header: (name: string) => (name === "origin" ? "https://evil.example" : "tokens.example") },
    ] satisfies Array<Partial<AdminCall>>) {
      for (const operation of ["create", "rotate"] as const) {
        const answer = await call(admin, operation, { id: "1", body: { kind }, ...extra });
        expect(answer.status).toBe(status);
        expect(answer.headers.connection).toBe("close");
        expect(JSON.parse(answer.body!)).toMatchObject({ error });
      }
    }
  });

  it("other answers leave the connection open", async () => {
    const { admin, call } = setup();
    const answer = await call(admin, "create", {
      contentType: "application/json",
      body: { kind: "text", text: '{"tokenName":"deploys"}' },
    });
    expect(answer.status).toBe(201);
    expect(answer.headers.connection).toBeUndefined();
  });
});

describe("a store error the request caused", () => {
  // What PostgreSQL reports (SQLSTATE in `code`), shaped as pg's DatabaseError.
  const outOfRange = Object.assign(new Error('value "99999999999" is out of range for type integer'), {
    code: "22003",
  });
  const noSuchTeam = Object.assign(new Error("insert violates foreign key constraint"), { code: "23503" });
  const refused = Object.assign(new Error("connect ECONNREFUSED 127.0.0.1:5432"), { code: "ECONNREFUSED" });

  it("is 400 naming the field, never 503", async () => {
    const { store, admin, call } = setup();
    store.failure = outOfRange;
    for (const [operation, extra, field] of [
      ["delete", { id: "5" }, "id"],
      ["rotate", { id: "5" }, "id"],
      ["list", { query: "?teamId=7" }, "teamId"],
    ] as const) {
      const answer = await call(admin, operation, extra);
      expect(answer.status).toBe(400);
      expect(JSON.parse(answer.body!)).toMatchObject({ error: "validation_failed", issues: [{ field }] });
    }
    store.failure = noSuchTeam;
    expect((await call(admin, "list", { query: "?teamId=7" })).status).toBe(400);
  });

  it("is told from a store that cannot be reached, which stays 503", async () => {
    const { store, admin, call } = setup();
    store.failure = refused;
    const answer = await call(admin, "delete", { id: "5" });
    expect(answer.status).toBe(503);
    expect(JSON.parse(answer.body!)).toMatchObject({ error: "store_unavailable" });
    expect(answer.body).not.toContain("ECONNREFUSED");
  });

  it.each([
    ["22003 numeric out of range", { code: "22003" }, true],
    ["22001 text too long", { code: "22001" }, true],
    ["22P02 invalid text representation", { code: "22P02" }, true],
    ["23503 foreign key violation", { code: "23503" }, true],
    ["08006 connection failure", { code: "08006" }, false],
    ["57P01 admin shutdown", { code: "57P01" }, false],
    ["ECONNREFUSED", { code: "ECONNREFUSED" }, false],
    ["a number code", { code: 22003 }, false],
    ["no code", new Error("boom"), false],
    ["not an object", "22003", false],
  ])("isStoreInputFault(%s) is %s", (_label, error, expected) => {
    expect(isStoreInputFault(error)).toBe(expected);
  });
});

describe("what the fuzz suite found", () => {
  it("refuses ?__proto__ as an unknown parameter, as any other name (it set no key on an object)", async () => {
    const { admin, call } = setup();
    for (const query of ["?__proto__", "?__proto__=1", "?__proto__=a&__proto__=b", "?constructor=1"]) {
      const answer = await call(admin, "list", { query });
      expect([query, answer.status]).toEqual([query, 400]);
      expect(JSON.parse(answer.body!).issues[0].field).toMatch(/^(__proto__|constructor)$/);
    }
  });

  it("refuses a rotate body of JSON null, as create does: it is not an object", async () => {
    const { admin, call } = setup();
    const created = await call(admin, "create", {
      contentType: "application/json",
      body: { kind: "text", text: '{"tokenName":"deploys"}' },
    });
    const { id } = JSON.parse(created.body!) as { id: number };
    const rotate = (text: string) =>
      call(admin, "rotate", {
        id: String(id),
        contentType: "application/json",
        body: { kind: "text", text },
      });
    expect((await rotate("null")).status).toBe(400);
    expect((await rotate("[]")).status).toBe(400);
    expect((await rotate("{}")).status).toBe(201);
  });
});

describe("matchAdminRoute", () => {
  it.each([
    ["DELETE", "/%", "delete", "%"],
    ["DELETE", "/%zz/", "delete", "%zz"],
    ["POST", "/%/rotate", "rotate", "%"],
    ["POST", "/%E0%A4%A/ROTATE", "rotate", "%E0%A4%A"],
    ["GET", "/", "list", undefined],
    ["HEAD", "/session", "session", undefined],
    ["GET", "/UI/app.js", "pageScript", undefined],
  ])("%s %s takes %s with id %j", (method, path, operation, id) => {
    expect(matchAdminRoute(method, path)).toMatchObject({ route: { operation }, id });
  });

  it.each([
    ["GET", "/12"],
    ["DELETE", "/"],
    ["DELETE", "//"],
    ["POST", "/1/rotate/again"],
    ["PUT", "/1"],
  ])("%s %s takes no route", (method, path) => {
    expect(matchAdminRoute(method, path)).toBeUndefined();
  });
});

describe("checkAdminRouterOptions", () => {
  const getActor = () => null;

  it("accepts a positive whole number of milliseconds, or none", () => {
    expect(checkAdminRouterOptions({ getActor, bodyTimeoutMs: 250 }).bodyTimeoutMs).toBe(250);
    expect(
      checkAdminRouterOptions({ getActor } as { getActor: () => null; bodyTimeoutMs?: number }).bodyTimeoutMs,
    ).toBeUndefined();
  });

  it.each([[0], [-1], [1.5], [Number.NaN], [Number.POSITIVE_INFINITY], [2 ** 31], ["10"]])(
    "refuses bodyTimeoutMs %j with a TypeError naming it",
    (bodyTimeoutMs) => {
      expect(() => checkAdminRouterOptions({ getActor, bodyTimeoutMs: bodyTimeoutMs as number })).toThrow(
        /bodyTimeoutMs/,
      );
    },
  );

  it("refuses a router without getActor", () => {
    expect(() => checkAdminRouterOptions({} as { getActor: () => null })).toThrow(/getActor/);
  });
});
