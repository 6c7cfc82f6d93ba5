/**
 * Issue 12, the outside review's findings, reproduced request by request against every harness:
 * path variants around a gate mounted on a prefix (item 1), the cross-site check's whole-origin
 * comparison (2), malformed percent-encoding in the admin paths (4), two Authorization headers (5)
 * and spoofable token names (6). Item 3 is in `store-input.test.ts` (it needs the real stores),
 * item 7 in `slow-body.test.ts` (it needs a real socket).
 */
import { adminApi, failureOf, mintedOf } from "./admin-api";
import {
  type BehaviourResponse,
  type Client,
  HARNESSES,
  MOUNTED_RUNS,
  ROUTES,
  SESSION_HEADER,
} from "./harnesses";
import { METHOD_VARIANTS, PATH_VARIANTS } from "./path-variants";
import {
  createWorld,
  expectNoSecretLeaks,
  expectWellFormedFailures,
  mintToken,
  USERS,
  type World,
  type WorldOptions,
} from "./world";

describe.each(HARNESSES)("issue 12 hardening: $name", (harness) => {
  let world: World;
  let client: Client | undefined;

  async function open(options: WorldOptions = {}): Promise<void> {
    await client?.close();
    world = createWorld(options);
    client = await harness.start(world);
  }

  beforeEach(() => open());

  afterEach(async () => {
    await client?.close();
    client = undefined;
    expectNoSecretLeaks(world);
  });

  const send = (method: string, path: string, headers: Array<[string, string]> = [], body?: string) =>
    client!.send({ method, path, headers, ...(body === undefined ? {} : { body }) });

  describe("item 1: a gate mounted on a prefix, and every spelling of a path under it", () => {
    it("never lets a handler run without an identity, and never answers 2xx or 5xx without a credential", async () => {
      const answers: string[] = [];
      for (const path of PATH_VARIANTS) {
        for (const method of METHOD_VARIANTS) {
          const res = await send(method, path);
          answers.push(`${method} ${path} → ${res.status}`);
          expect([method, path, res.status < 500]).toEqual([method, path, true]);
          expect([method, path, res.status >= 200 && res.status < 300]).toEqual([method, path, false]);
        }
      }
      expect(world.runsOf(MOUNTED_RUNS.anonymous)).toBe(0);
      expect(world.runsOf(MOUNTED_RUNS.identified)).toBe(0);
      // The canonical path and its case variants reach the gate itself: 401 with a challenge.
      expect(answers).toContain("GET /api/v1/me → 401");
      expect(answers).toContain("OPTIONS /api/v1/me → 401");
      expect(answers).toContain("PROPFIND /api/v1/me → 401");
    });

    it("answers every method on the mounted route 401 with a challenge before any router answer", async () => {
      for (const method of METHOD_VARIANTS) {
        const res = await send(method, ROUTES.mounted);
        expect([method, res.status]).toEqual([method, 401]);
        expect(res.headers["www-authenticate"]).toBe('Bearer realm="api"');
      }
      expectWellFormedFailures(world);
    });

    it("with a credential, every handler that runs has the identity", async () => {
      const { token } = await mintToken(world, USERS.alice, { tokenName: "paths" });
      for (const path of PATH_VARIANTS) {
        for (const method of METHOD_VARIANTS) {
          const res = await send(method, path, [["authorization", `Bearer ${token}`]]);
          expect([method, path, res.status < 500]).toEqual([method, path, true]);
          if (res.status === 200 && method !== "HEAD" && res.json !== undefined) {
            expect((res.json as { auth: { userId: number } | null }).auth?.userId).toBe(USERS.alice);
          }
        }
      }
      expect(world.runsOf(MOUNTED_RUNS.anonymous)).toBe(0);
      expect(world.runsOf(MOUNTED_RUNS.identified)).toBeGreaterThan(0);
      const res = await send("GET", ROUTES.mounted, [["authorization", `Bearer ${token}`]]);
      expect(res.status).toBe(200);
    });
  });

  describe("item 2: the cross-site check compares scheme, host and port", () => {
    const HOST: [string, string] = ["host", "app.example.test"];
    const alice: [string, string] = [SESSION_HEADER, String(USERS.alice)];
    const json: [string, string] = ["content-type", "application/json"];
    const create = (extra: Array<[string, string]>) =>
      send(
        "POST",
        "/api-tokens",
        [alice, json, HOST, ...extra],
        JSON.stringify({ tokenName: "csrf-create" }),
      );

    it("refuses an https Origin on this plain-http server: create, delete and rotate, and changes nothing", async () => {
      const existing = mintedOf(await adminApi(client!).create(USERS.alice, { tokenName: "existing" }));
      const https: [string, string] = ["origin", "https://app.example.test"];
      for (const res of [
        await create([https]),
        await send("DELETE", `/api-tokens/${existing.id}`, [alice, HOST, https]),
        await send("POST", `/api-tokens/${existing.id}/rotate`, [alice, json, HOST, https], "{}"),
      ]) {
        expect([res.status, failureOf(res).error]).toEqual([403, "csrf_rejected"]);
      }
      const list = (await adminApi(client!).list(USERS.alice)).json as { tokens: Array<{ id: number }> };
      expect(list.tokens.map((t) => t.id)).toEqual([existing.id]);
      expectWellFormedFailures(world);
    });

    it("refuses an empty Origin header, as every adapter does", async () => {
      const res = await create([["origin", ""]]);
      expect([res.status, failureOf(res).error]).toEqual([403, "csrf_rejected"]);
    });

    it("accepts the page's own origin", async () => {
      expect((await create([["origin", "http://app.example.test"]])).status).toBe(201);
    });

    it("behind a trusted proxy, takes the browser's scheme and host from X-Forwarded-Proto and -Host", async () => {
      await open({ trustedProxies: ["127.0.0.1", "::1"] });
      const proxied: Array<[string, string]> = [
        ["x-forwarded-proto", "https"],
        ["x-forwarded-host", "tokens.example"],
      ];
      expect((await create([["origin", "https://tokens.example"], ...proxied])).status).toBe(201);
      const plain = await create([["origin", "http://tokens.example"], ...proxied]);
      expect([plain.status, failureOf(plain).error]).toEqual([403, "csrf_rejected"]);
    });

    it("ignores X-Forwarded-Proto and -Host from a peer that is not a trusted proxy", async () => {
      await open({ trustedProxies: ["10.0.0.0/8"] });
      const res = await create([
        ["origin", "https://tokens.example"],
        ["x-forwarded-proto", "https"],
        ["x-forwarded-host", "tokens.example"],
      ]);
      expect([res.status, failureOf(res).error]).toEqual([403, "csrf_rejected"]);
    });

    it("accepts an origin listed in trustedOrigins, and only that one", async () => {
      await open({ trustedOrigins: ["https://admin.example.test"] });
      const listed = await create([
        ["origin", "https://admin.example.test"],
        ["sec-fetch-site", "same-site"],
      ]);
      expect(listed.status).toBe(201);
      const other = await create([["origin", "https://other.example.test"]]);
      expect([other.status, failureOf(other).error]).toEqual([403, "csrf_rejected"]);
    });
  });

  describe("item 4: a malformed percent-encoding in an admin path", () => {
    it.each([
      ["DELETE", "/api-tokens/%"],
      ["DELETE", "/api-tokens/%zz"],
      ["DELETE", "/api-tokens/%E0%A4%A"],
      ["POST", "/api-tokens/%/rotate"],
      ["POST", "/api-tokens/%zz/rotate"],
    ])("%s %s is 400 JSON naming id, with no stack and no file path", async (method, path) => {
      const res = await send(method, path, [[SESSION_HEADER, String(USERS.alice)]]);
      expect(res.status).toBe(400);
      expect(res.headers["content-type"]).toMatch(/^application\/json/);
      expect(failureOf(res)).toMatchObject({ error: "validation_failed", issues: [{ field: "id" }] });
      expect(res.body).not.toMatch(/URIError|node_modules|\s+at\s|\/work\//);
      expectWellFormedFailures(world);
    });

    it("is checked after the session, as a well-formed id is: 401 when nobody is signed in", async () => {
      const res = await send("DELETE", "/api-tokens/%zz");
      expect([res.status, failureOf(res).error]).toEqual([401, "unauthenticated"]);
    });
  });

  describe("item 5: two Authorization headers of a scheme that is not Bearer", () => {
    const twice: Array<[string, string]> = [
      ["authorization", "Token x"],
      ["authorization", "Token x"],
    ];

    if (harness.name === "hono (app.request)") {
      // A Fetch Request has no second header line to count: Headers joins them into "Token x,
      // Token x", one value of an unknown scheme. Runtimes other than Node give only that.
      it("cannot be told from one joined value through app.request: 401 without a credential", async () => {
        const res = await send("GET", ROUTES.protected, twice);
        expect([res.status, failureOf(res).error]).toEqual([401, "missing_credentials"]);
      });
    } else {
      it("is 400 invalid_request, as DESIGN.md says", async () => {
        for (const route of [ROUTES.protected, ROUTES.optional, ROUTES.mounted]) {
          const res = await send("GET", route, twice);
          expect([route, res.status, failureOf(res).error]).toEqual([route, 400, "invalid_request"]);
          expect(res.headers["www-authenticate"]).toBe('Bearer realm="api", error="invalid_request"');
        }
        expect(world.runsOf(ROUTES.optional)).toBe(0);
      });
    }
  });

  describe("item 6: token names that would read as another name", () => {
    it.each([
      ["a right-to-left override", "invoice\u202Efdp.exe"],
      ["a zero-width space", "dep\u200Bloy"],
      ["a zero-width joiner", "dep\u200Dloy"],
      ["a left-to-right mark", "deploy\u200E"],
      ["a first-strong isolate", "dep\u2068loy"],
      ["a byte order mark inside", "dep\uFEFFloy"],
      ["a lone surrogate", "deploy\uD800x"],
    ])("%s is 400 naming tokenName, and nothing is created", async (_label, tokenName) => {
      const api = adminApi(client!);
      const res: BehaviourResponse = await api.create(USERS.alice, { tokenName });
      expect([res.status, failureOf(res).error]).toEqual([400, "validation_failed"]);
      expect(failureOf(res).issues?.map((i) => i.field)).toEqual(["tokenName"]);
      expect((await api.list(USERS.alice)).json).toEqual({ tokens: [] });
      expectWellFormedFailures(world);
    });

    it("counts the length in code points: a hundred emoji are a hundred characters", async () => {
      const api = adminApi(client!);
      expect((await api.create(USERS.alice, { tokenName: "🔑".repeat(100) })).status).toBe(201);
      const tooLong = await api.create(USERS.alice, { tokenName: "🔑".repeat(101) });
      expect(failureOf(tooLong).issues).toEqual([
        { field: "tokenName", message: "The token name should be 100 characters or shorter" },
      ]);
      const tooShort = await api.create(USERS.alice, { tokenName: "🔑🔑" });
      expect(failureOf(tooShort).issues?.[0]?.field).toBe("tokenName");
    });
  });
});
