/**
 * The token security log through every harness (issue 14's "Done when"): the create → verify →
 * rotate → revoke walk read back from `GET /api-tokens/events`, with the actor, token, team,
 * client address (after trustedProxies) and user agent of each request; a refusal of the verify
 * path; who may read which events, by the token list's rules; bad parameters; paging.
 */
import type { SecurityEvent } from "@tokengate/core";
import { type AdminApi, adminApi, failureOf, mintedOf } from "./admin-api";
import { type Client, HARNESSES, ROUTES, SESSION_HEADER } from "./harnesses";
import {
  createWorld,
  DAY,
  expectNoSecretLeaks,
  expectWellFormedFailures,
  mintToken,
  TEAM,
  USERS,
  type World,
  type WorldOptions,
} from "./world";

const PROXY_CLIENT = "198.51.100.7";

type EventsPage = { events: SecurityEvent[]; nextCursor: string | null };

describe.each(HARNESSES)("token security log: $name", (harness) => {
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

  /** An admin call as a browser behind the proxy sends it: session, agent, forwarding chain. */
  const adminCall = (method: string, path: string, body?: unknown) =>
    client!.send({
      method,
      path,
      headers: [
        [SESSION_HEADER, String(USERS.alice)],
        ["user-agent", "Mozilla/5.0 walk-test"],
        ["x-forwarded-for", PROXY_CLIENT],
        ...(body === undefined ? [] : ([["content-type", "application/json"]] as Array<[string, string]>)),
      ],
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });

  const useToken = (token: string) =>
    client!.send({
      method: "GET",
      path: ROUTES.protected,
      headers: [
        ["authorization", `Bearer ${token}`],
        ["user-agent", "deploy-bot/2.1"],
      ],
    });

  const page = async (userId: number, query = ""): Promise<EventsPage> => {
    const res = await api.events(userId, query);
    if (res.status !== 200) throw new Error(`expected 200, got ${res.status}: ${res.body}`);
    return res.json as EventsPage;
  };

  it("shows the create → verify → rotate → revoke walk, newest first, with who, what and from where", async () => {
    await open({ trustedProxies: ["127.0.0.1", "::1"] });
    const created = mintedOf(
      await adminCall("POST", "/api-tokens", { tokenName: "walk token", teamId: TEAM, expirationDate: null }),
    );
    expect((await useToken(created.token)).status).toBe(200);
    const rotated = mintedOf(await adminCall("POST", `/api-tokens/${created.id}/rotate`, {}));
    expect((await adminCall("DELETE", `/api-tokens/${rotated.id}`)).status).toBe(204);

    const res = await api.events(USERS.alice, `?teamId=${TEAM}`);
    expect(res.status).toBe(200);
    expect(res.headers["cache-control"]).toBe("no-store");
    const { events, nextCursor } = res.json as EventsPage;
    expect(nextCursor).toBeNull();
    expect(events.map((e) => [e.type, e.tokenId])).toEqual([
      ["revoked", rotated.id],
      ["created", rotated.id],
      ["rotated", created.id],
      ["created", created.id],
    ]);
    for (const event of events) {
      expect(event).toMatchObject({
        actorUserId: USERS.alice,
        tokenName: "walk token",
        teamId: TEAM,
        // The proxy at 127.0.0.1 is trusted, so the client is the one it names.
        clientAddress: PROXY_CLIENT,
        userAgent: "Mozilla/5.0 walk-test",
        count: 1,
        at: world.now.toISOString(),
      });
      expect(Object.keys(event).sort()).toEqual(
        [
          "actorUserId",
          "at",
          "clientAddress",
          "count",
          "id",
          "teamId",
          "tokenId",
          "tokenName",
          "type",
          "userAgent",
        ].sort(),
      );
    }
    // One token's history, after it is gone.
    const history = await page(USERS.alice, `?tokenId=${rotated.id}`);
    expect(history.events.map((e) => e.type)).toEqual(["revoked", "created"]);
  });

  it("records a use of an expired token with the request's agent and no secret", async () => {
    const { id, token } = await mintToken(world, USERS.bob, {
      tokenName: "short lived",
      expirationDate: "30d",
    });
    world.advance(31 * DAY);
    expect((await useToken(token)).status).toBe(401);
    const [latest] = (await page(USERS.bob)).events;
    expect(latest).toMatchObject({
      type: "expired_on_use",
      tokenId: id,
      actorUserId: USERS.bob,
      teamId: null,
      userAgent: "deploy-bot/2.1",
      count: 1,
    });
    // `app.request` has no socket, and the app gave the middleware no address to use.
    expect(latest!.clientAddress).toBe(harness.name === "hono (app.request)" ? null : "127.0.0.1");
  });

  it("lets only who may list a team's tokens read its events, and hides tokens others own", async () => {
    const teamToken = await mintToken(world, USERS.alice, { tokenName: "team token", teamId: TEAM });
    const bobs = await mintToken(world, USERS.bob, { tokenName: "bob personal" });
    for (const [user, status] of [
      [USERS.alice, 200],
      [USERS.frank, 200],
      [USERS.bob, 403],
      [USERS.dave, 403],
    ] as const) {
      expect([user, (await api.list(user, `?teamId=${TEAM}`)).status]).toEqual([user, status]);
      expect([user, (await api.events(user, `?teamId=${TEAM}`)).status]).toEqual([user, status]);
    }
    expect((await api.events(USERS.dave, `?tokenId=${teamToken.id}`)).status).toBe(404);
    expect((await api.events(USERS.alice, `?tokenId=${bobs.id}`)).status).toBe(404);
    expect((await page(USERS.alice)).events).toEqual([]);
    expect((await page(USERS.bob)).events.map((e) => e.tokenId)).toEqual([bobs.id]);
    expect((await api.events(null)).status).toBe(401);
  });

  it.each([
    ["?limit=0", "limit"],
    ["?limit=500", "limit"],
    ["?teamId=ten", "teamId"],
    ["?tokenId=0", "tokenId"],
    ["?cursor=not%20a%20cursor", "cursor"],
    ["?cursor=AAAA", "cursor"],
    ["?userId=1", "userId"],
    ["?tokenId=1&tokenId=2", "tokenId"],
  ])("refuses %s with 400 naming %s", async (query, field) => {
    const res = await api.events(USERS.alice, query);
    expect(res.status).toBe(400);
    expect(failureOf(res).issues?.[0]?.field).toBe(field);
  });

  it("pages newest first by an opaque cursor", async () => {
    for (let i = 0; i < 5; i++) await mintToken(world, USERS.carol, { tokenName: `paged ${i}` });
    const first = await page(USERS.carol, "?limit=2");
    const second = await page(USERS.carol, `?limit=2&cursor=${first.nextCursor}`);
    const third = await page(USERS.carol, `?limit=2&cursor=${second.nextCursor}`);
    expect(third.nextCursor).toBeNull();
    expect([...first.events, ...second.events, ...third.events].map((e) => e.tokenName)).toEqual([
      "paged 4",
      "paged 3",
      "paged 2",
      "paged 1",
      "paged 0",
    ]);
  });
});
