/**
 * The admin router's lifecycle (DESIGN.md "Lifecycle"), through every harness: create, list,
 * delete, rotate, who may do each, and how bad requests are refused. Every test ends with the
 * secrecy check: no response carried a token's digest, and a plain token appeared only in the 201
 * that minted it.
 */
import { type AdminApi, adminApi, failureOf, identityOf, mintedOf } from "./admin-api";
import { type Client, HARNESSES, ROUTES } from "./harnesses";
import {
  createWorld,
  DAY,
  expectNoSecretLeaks,
  expectWellFormedFailures,
  insertLegacyTeamToken,
  MINUTE,
  OTHER_TEAM,
  START,
  TEAM,
  USERS,
  type World,
  type WorldOptions,
} from "./world";

const TOKEN_SHAPE = /^api_[0-9a-z]{16}$/;
const SUMMARY_KEYS = [
  "createdAt",
  "createdBy",
  "expiresAt",
  "id",
  "lastUsedAt",
  "name",
  "replacedById",
  "scopes",
  "status",
  "teamId",
];

describe.each(HARNESSES)("token lifecycle: $name", (harness) => {
  let world: World;
  let client: Client | undefined;
  let api: AdminApi;

  async function open(options: WorldOptions = {}): Promise<void> {
    await client?.close();
    world = createWorld(options);
    client = await harness.start(world);
    api = adminApi(client);
  }

  beforeEach(() => open());

  afterEach(async () => {
    await client?.close();
    client = undefined;
    expectNoSecretLeaks(world);
    expectWellFormedFailures(world);
  });

  describe("create", () => {
    it("answers 201 with the id and the plain token, which authenticates as its creator", async () => {
      const res = await api.create(USERS.alice, { tokenName: "ci deploy", expirationDate: null });
      expect(res.status).toBe(201);
      expect(res.headers["cache-control"]).toBe("no-store");
      expect(Object.keys(res.json as object).sort()).toEqual(["id", "token"]);
      const { id, token } = mintedOf(res);
      expect(token).toMatch(TOKEN_SHAPE);

      const identity = identityOf(await api.use(token));
      expect(identity).toMatchObject({
        tokenId: id,
        tokenName: "ci deploy",
        userId: USERS.alice,
        teamId: null,
      });
      expect(identity.expiresAt).toBeNull();
    });

    it("trims the token name", async () => {
      const { id } = mintedOf(await api.create(USERS.alice, { tokenName: "  padded name  " }));
      const list = (await api.list(USERS.alice)).json as { tokens: Array<{ id: number; name: string }> };
      expect(list.tokens.find((t) => t.id === id)?.name).toBe("padded name");
    });

    it.each([
      ["30d", "2027-03-02T12:00:00.000Z"],
      ["90d", "2027-05-01T12:00:00.000Z"],
      ["180d", "2027-07-30T12:00:00.000Z"],
      ["365d", "2028-01-31T12:00:00.000Z"],
      ["ONE_WEEK", "2027-02-07T12:00:00.000Z"],
      ["ONE_MONTH", "2027-02-28T12:00:00.000Z"],
      ["THREE_MONTHS", "2027-04-30T12:00:00.000Z"],
      ["SIX_MONTHS", "2027-07-31T12:00:00.000Z"],
      ["ONE_YEAR", "2028-01-31T12:00:00.000Z"],
      ["2027-06-01T09:30:00+02:00", "2027-06-01T07:30:00.000Z"],
    ])("expirationDate %s from 2027-01-31T12:00Z expires at %s", async (expirationDate, expected) => {
      const { token } = mintedOf(await api.create(USERS.alice, { tokenName: "preset", expirationDate }));
      const list = (await api.list(USERS.alice)).json as { tokens: Array<{ expiresAt: string | null }> };
      expect(list.tokens[0]?.expiresAt).toBe(expected);
      expect(identityOf(await api.use(token)).expiresAt).toBe(expected);

      world.now = new Date(new Date(expected).getTime() - 1);
      expect((await api.use(token)).status).toBe(200);
      world.now = new Date(expected);
      const expired = await api.use(token);
      expect(expired.status).toBe(401);
      expect(failureOf(expired).error).toBe("token_expired");
    });
  });

  describe("list", () => {
    it("shows metadata only, newest first, with status, last use and creator", async () => {
      await open({ usageFlushIntervalMs: 3_600_000 });
      const first = mintedOf(
        await api.create(USERS.alice, { tokenName: "first", expirationDate: "ONE_WEEK" }),
      );
      world.advance(MINUTE);
      const second = mintedOf(await api.create(USERS.alice, { tokenName: "second" }));
      world.advance(MINUTE);
      expect((await api.use(second.token)).status).toBe(200);
      // close() writes the pending last-used times now instead of on the batch timer.
      await world.gate.close();

      const res = await api.list(USERS.alice);
      expect(res.status).toBe(200);
      const { tokens } = res.json as { tokens: Array<Record<string, unknown>> };
      expect(tokens.map((t) => t.id)).toEqual([second.id, first.id]);
      for (const token of tokens) expect(Object.keys(token).sort()).toEqual(SUMMARY_KEYS);
      expect(tokens[0]).toEqual({
        id: second.id,
        name: "second",
        teamId: null,
        createdAt: new Date(START.getTime() + MINUTE).toISOString(),
        expiresAt: null,
        status: "active",
        lastUsedAt: new Date(START.getTime() + 2 * MINUTE).toISOString(),
        createdBy: USERS.alice,
        scopes: [],
        replacedById: null,
      });
      expect(tokens[1]).toMatchObject({ name: "first", status: "active", lastUsedAt: null });

      world.advance(7 * DAY);
      const later = (await api.list(USERS.alice)).json as { tokens: Array<{ id: number; status: string }> };
      expect(later.tokens.find((t) => t.id === first.id)?.status).toBe("expired");
    });

    it("lists only the caller's own personal tokens", async () => {
      mintedOf(await api.create(USERS.alice, { tokenName: "alice's" }));
      const bobs = mintedOf(await api.create(USERS.bob, { tokenName: "bob's" }));
      const res = await api.list(USERS.bob);
      expect((res.json as { tokens: Array<{ id: number }> }).tokens.map((t) => t.id)).toEqual([bobs.id]);
    });
  });

  describe("delete", () => {
    it("answers 204, and the token is refused from the next request on", async () => {
      const { id, token } = mintedOf(await api.create(USERS.alice, { tokenName: "short lived" }));
      expect((await api.use(token)).status).toBe(200);

      const res = await api.remove(USERS.alice, id);
      expect(res.status).toBe(204);
      expect(res.body).toBe("");

      const after = await api.use(token);
      expect(after.status).toBe(401);
      expect(failureOf(after).error).toBe("invalid_token");
      const list = (await api.list(USERS.alice)).json as { tokens: unknown[] };
      expect(list.tokens).toEqual([]);
      expect((await api.remove(USERS.alice, id)).status).toBe(404);
    });
  });

  describe("rotate", () => {
    it("without a grace period: the new token works and the old one stops at once", async () => {
      const old = mintedOf(await api.create(USERS.alice, { tokenName: "rotating" }));
      const res = await api.rotate(USERS.alice, old.id);
      expect(res.status).toBe(201);
      const fresh = mintedOf(res);
      expect(fresh.token).toMatch(TOKEN_SHAPE);
      expect(fresh.token).not.toBe(old.token);
      expect(res.json).toEqual({
        id: fresh.id,
        token: fresh.token,
        previous: { id: old.id, expiresAt: START.toISOString() },
      });

      expect(identityOf(await api.use(fresh.token))).toMatchObject({
        tokenId: fresh.id,
        tokenName: "rotating",
      });
      expect((await api.use(old.token)).status).toBe(401);
    });

    it("with a grace period: the old token works until the grace ends, then stops", async () => {
      const old = mintedOf(await api.create(USERS.alice, { tokenName: "graceful" }));
      const res = await api.rotate(USERS.alice, old.id, { gracePeriodSeconds: 60 });
      const fresh = mintedOf(res);
      expect((res.json as { previous: unknown }).previous).toEqual({
        id: old.id,
        expiresAt: new Date(START.getTime() + 60_000).toISOString(),
      });

      expect((await api.use(old.token)).status).toBe(200);
      world.advance(59_999);
      expect((await api.use(old.token)).status).toBe(200);
      world.advance(1);
      const ended = await api.use(old.token);
      expect(ended.status).toBe(401);
      expect(failureOf(ended).error).toBe("token_expired");
      expect((await api.use(fresh.token)).status).toBe(200);

      const list = (await api.list(USERS.alice)).json as {
        tokens: Array<{ id: number; replacedById: number | null; status: string }>;
      };
      expect(list.tokens.find((t) => t.id === old.id)).toMatchObject({
        replacedById: fresh.id,
        status: "expired",
      });
    });

    it("never extends the old token past its own expiry, and renews the lifetime for the new one", async () => {
      const lifetime = 30_000;
      const old = mintedOf(
        await api.create(USERS.alice, {
          tokenName: "nearly expired",
          expirationDate: new Date(START.getTime() + lifetime).toISOString(),
        }),
      );
      world.advance(10_000);
      const res = await api.rotate(USERS.alice, old.id, { gracePeriodSeconds: 3600 });
      const fresh = mintedOf(res);
      expect((res.json as { previous: { expiresAt: string } }).previous.expiresAt).toBe(
        new Date(START.getTime() + lifetime).toISOString(),
      );

      world.now = new Date(START.getTime() + lifetime);
      expect((await api.use(old.token)).status).toBe(401);
      // The successor gets the old lifetime again, counted from the rotation.
      expect(identityOf(await api.use(fresh.token)).expiresAt).toBe(
        new Date(START.getTime() + 10_000 + lifetime).toISOString(),
      );
    });

    it("refuses a grace period beyond 30 days, naming the field", async () => {
      const old = mintedOf(await api.create(USERS.alice, { tokenName: "rotating" }));
      const res = await api.rotate(USERS.alice, old.id, { gracePeriodSeconds: 31 * 24 * 3600 });
      expect(res.status).toBe(400);
      expect(failureOf(res).issues?.map((i) => i.field)).toEqual(["gracePeriodSeconds"]);
      expect((await api.use(old.token)).status).toBe(200);
    });
  });

  describe("who may", () => {
    it("a team ADMIN creates, lists, rotates and deletes team tokens; the token acts as its creator in the team", async () => {
      const created = mintedOf(await api.create(USERS.alice, { tokenName: "team deploy", teamId: TEAM }));
      expect(identityOf(await api.use(created.token))).toMatchObject({ userId: USERS.alice, teamId: TEAM });

      const list = await api.list(USERS.frank, `?teamId=${TEAM}`);
      expect(list.status).toBe(200);
      expect((list.json as { tokens: unknown[] }).tokens).toEqual([
        expect.objectContaining({ id: created.id, teamId: TEAM, createdBy: USERS.alice }),
      ]);
      // Team tokens are not the caller's personal tokens.
      expect((await api.list(USERS.alice)).json).toEqual({ tokens: [] });

      const rotated = mintedOf(await api.rotate(USERS.frank, created.id));
      expect(identityOf(await api.use(rotated.token))).toMatchObject({ userId: USERS.alice, teamId: TEAM });
      expect((await api.remove(USERS.frank, rotated.id)).status).toBe(204);
      expect((await api.use(rotated.token)).status).toBe(401);
    });

    it("a team MEMBER may not create, list or manage the team's tokens", async () => {
      const teamToken = mintedOf(await api.create(USERS.alice, { tokenName: "team deploy", teamId: TEAM }));
      const create = await api.create(USERS.bob, { tokenName: "member's try", teamId: TEAM });
      expect(create.status).toBe(403);
      expect(failureOf(create).error).toBe("forbidden");
      expect((await api.list(USERS.bob, `?teamId=${TEAM}`)).status).toBe(403);
      expect((await api.remove(USERS.bob, teamToken.id)).status).toBe(403);
      expect((await api.rotate(USERS.bob, teamToken.id)).status).toBe(403);
      expect((await api.use(teamToken.token)).status).toBe(200);
    });

    it("a team MANAGER may not by default", async () => {
      expect((await api.create(USERS.carol, { tokenName: "manager's try", teamId: TEAM })).status).toBe(403);
      expect((await api.list(USERS.carol, `?teamId=${TEAM}`)).status).toBe(403);
    });

    it("a team MANAGER may when teamTokenRoles includes MANAGER", async () => {
      await open({ teamTokenRoles: ["ADMIN", "MANAGER"] });
      const created = mintedOf(await api.create(USERS.carol, { tokenName: "manager's", teamId: TEAM }));
      expect(identityOf(await api.use(created.token))).toMatchObject({ userId: USERS.carol, teamId: TEAM });
      expect((await api.list(USERS.carol, `?teamId=${TEAM}`)).status).toBe(200);
      expect((await api.create(USERS.bob, { tokenName: "member's try", teamId: TEAM })).status).toBe(403);
    });

    it("a caller outside the team gets 403 on create and list, 404 on another team's token ids", async () => {
      const teamToken = mintedOf(await api.create(USERS.alice, { tokenName: "team deploy", teamId: TEAM }));
      const create = await api.create(USERS.dave, { tokenName: "outsider", teamId: TEAM });
      expect(create.status).toBe(403);
      expect((await api.list(USERS.dave, `?teamId=${TEAM}`)).status).toBe(403);

      const remove = await api.remove(USERS.dave, teamToken.id);
      expect(remove.status).toBe(404);
      expect(failureOf(remove).error).toBe("not_found");
      expect((await api.rotate(USERS.dave, teamToken.id)).status).toBe(404);
      expect((await api.use(teamToken.token)).status).toBe(200);

      // Dave's own team is his to manage.
      expect((await api.create(USERS.dave, { tokenName: "globex", teamId: OTHER_TEAM })).status).toBe(201);
    });

    it("another user's personal token is not found, and keeps working", async () => {
      const alices = mintedOf(await api.create(USERS.alice, { tokenName: "alice's" }));
      expect((await api.remove(USERS.bob, alices.id)).status).toBe(404);
      expect((await api.rotate(USERS.bob, alices.id)).status).toBe(404);
      expect((await api.use(alices.token)).status).toBe(200);
    });

    it("without a session every call is 401", async () => {
      const alices = mintedOf(await api.create(USERS.alice, { tokenName: "alice's" }));
      for (const res of [
        await api.create(null, { tokenName: "anonymous" }),
        await api.list(null),
        await api.remove(null, alices.id),
        await api.rotate(null, alices.id),
      ]) {
        expect(res.status).toBe(401);
        expect(failureOf(res).error).toBe("unauthenticated");
      }
      expect((await api.use(alices.token)).status).toBe(200);
    });

    it("a disabled user may not manage tokens", async () => {
      world.directory.setDisabled(USERS.erin, true);
      expect((await api.create(USERS.erin, { tokenName: "disabled" })).status).toBe(403);
    });
  });

  describe("team membership and legacy tokens", () => {
    it("a team token stops working once its creator is removed from the team", async () => {
      const { token } = mintedOf(await api.create(USERS.frank, { tokenName: "frank's", teamId: TEAM }));
      expect((await api.use(token)).status).toBe(200);
      world.directory.setRole(TEAM, USERS.frank, null);
      await world.gate.directoryChanged();
      const res = await api.use(token);
      expect(res.status).toBe(401);
      expect(failureOf(res).error).toBe("invalid_token");
    });

    it("a legacy Documenso team token acts as the team owner, lists with no creator, and can be deleted", async () => {
      const legacy = await insertLegacyTeamToken(world, TEAM);
      expect(identityOf(await api.use(legacy.token))).toMatchObject({
        tokenId: legacy.id,
        userId: USERS.alice,
        teamId: TEAM,
      });
      const list = (await api.list(USERS.frank, `?teamId=${TEAM}`)).json as { tokens: unknown[] };
      expect(list.tokens).toEqual([expect.objectContaining({ id: legacy.id, createdBy: null })]);
      expect((await api.remove(USERS.frank, legacy.id)).status).toBe(204);
      expect((await api.use(legacy.token)).status).toBe(401);
    });
  });

  describe("bad requests", () => {
    it("malformed JSON is 400 invalid_json", async () => {
      const res = await api.raw(USERS.alice, "/api-tokens", "application/json", '{"tokenName": "ci",');
      expect(res.status).toBe(400);
      expect(failureOf(res).error).toBe("invalid_json");
    });

    it("a body that is not JSON is 400 unsupported_content_type", async () => {
      const res = await api.raw(USERS.alice, "/api-tokens", "text/plain", '{"tokenName":"plain text"}');
      expect(res.status).toBe(400);
      expect(failureOf(res).error).toBe("unsupported_content_type");
      expect((await api.list(USERS.alice)).json).toEqual({ tokens: [] });
    });

    it("a token name shorter than 3 characters is refused with Documenso's message", async () => {
      const res = await api.create(USERS.alice, { tokenName: "  ab  " });
      expect(res.status).toBe(400);
      const body = failureOf(res);
      expect(body.error).toBe("validation_failed");
      expect(body.message).toContain("The token name should be 3 characters or longer");
      expect(body.issues).toEqual([
        { field: "tokenName", message: "The token name should be 3 characters or longer" },
      ]);
    });

    it.each<[string, Record<string, unknown>, string]>([
      ["a missing token name", {}, "tokenName"],
      ["a token name with a control character", { tokenName: "bad\u0007name" }, "tokenName"],
      ["a relative duration", { tokenName: "valid", expirationDate: "2d" }, "expirationDate"],
      ["a past instant", { tokenName: "valid", expirationDate: "2020-01-01T00:00:00Z" }, "expirationDate"],
      [
        "an instant without a zone",
        { tokenName: "valid", expirationDate: "2027-06-01T00:00:00" },
        "expirationDate",
      ],
      ["a team id as a string", { tokenName: "valid", teamId: "10" }, "teamId"],
      ["an unknown field", { tokenName: "valid", isAdmin: true }, "isAdmin"],
    ])("%s is 400 naming the field", async (_label, body, field) => {
      const res = await api.create(USERS.alice, body);
      expect(res.status).toBe(400);
      expect(failureOf(res).error).toBe("validation_failed");
      expect(failureOf(res).issues?.map((i) => i.field)).toContain(field);
      expect((await api.list(USERS.alice)).json).toEqual({ tokens: [] });
    });

    it.each([
      ["DELETE", "/api-tokens/abc"],
      ["DELETE", "/api-tokens/0"],
      ["POST", "/api-tokens/abc/rotate"],
    ] as const)("%s %s is 400 naming id", async (method, path) => {
      const res = await client!.send({ method, path, headers: [["x-test-user", String(USERS.alice)]] });
      expect(res.status).toBe(400);
      expect(failureOf(res).issues?.map((i) => i.field)).toEqual(["id"]);
    });

    it("a body over 16 KiB is 413 payload_too_large", async () => {
      const res = await api.create(USERS.alice, { tokenName: "big", padding: "x".repeat(20 * 1024) });
      expect(res.status).toBe(413);
      expect(failureOf(res).error).toBe("payload_too_large");
      expect((await api.list(USERS.alice)).json).toEqual({ tokens: [] });
    });

    it("a bad teamId filter is 400 naming teamId", async () => {
      const res = await api.list(USERS.alice, "?teamId=ten");
      expect(res.status).toBe(400);
      expect(failureOf(res).issues?.map((i) => i.field)).toEqual(["teamId"]);
    });
  });

  describe("cross-site requests", () => {
    const HOST: [string, string] = ["host", "app.example.test"];
    const send = (method: "POST" | "DELETE", path: string, extra: Array<[string, string]>, body?: unknown) =>
      client!.send({
        method,
        path,
        headers: [["x-test-user", String(USERS.alice)], ["content-type", "application/json"], HOST, ...extra],
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });

    it("a state-changing call from another origin is 403 csrf_rejected and changes nothing", async () => {
      const existing = mintedOf(await api.create(USERS.alice, { tokenName: "existing" }));
      const evil: [string, string] = ["origin", "https://evil.example"];
      for (const res of [
        await send("POST", "/api-tokens", [evil], { tokenName: "forged" }),
        await send("POST", "/api-tokens", [["sec-fetch-site", "cross-site"]], { tokenName: "forged" }),
        await send("POST", "/api-tokens", [["origin", "http://app.example.test:8080"]], {
          tokenName: "forged",
        }),
        await send("DELETE", `/api-tokens/${existing.id}`, [evil]),
        await send("POST", `/api-tokens/${existing.id}/rotate`, [evil], {}),
      ]) {
        expect(res.status).toBe(403);
        expect(failureOf(res).error).toBe("csrf_rejected");
      }
      const list = (await api.list(USERS.alice)).json as { tokens: Array<{ id: number }> };
      expect(list.tokens.map((t) => t.id)).toEqual([existing.id]);
      expect((await api.use(existing.token)).status).toBe(200);
    });

    it("a browser call from the same origin goes through", async () => {
      const res = await send(
        "POST",
        "/api-tokens",
        [
          ["origin", "http://app.example.test"],
          ["sec-fetch-site", "same-origin"],
        ],
        {
          tokenName: "from the page",
        },
      );
      expect(res.status).toBe(201);
    });
  });

  describe("store unavailable", () => {
    it("answers 503 with Retry-After, never a 401 or a 2xx", async () => {
      const { id, token } = mintedOf(await api.create(USERS.alice, { tokenName: "before outage" }));
      world.store.down = true;
      for (const res of [
        await api.create(USERS.alice, { tokenName: "during outage" }),
        await api.list(USERS.alice),
        await api.remove(USERS.alice, id),
        await api.use(token),
        await api.use(token, ROUTES.scoped),
      ]) {
        expect(res.status).toBe(503);
        expect(res.headers["retry-after"]).toBe("5");
        expect(failureOf(res).error).toBe("store_unavailable");
      }
      expect(world.runsOf(ROUTES.protected) + world.runsOf(ROUTES.scoped)).toBe(0);
      world.store.down = false;
      expect((await api.use(token)).status).toBe(200);
    });
  });
});
