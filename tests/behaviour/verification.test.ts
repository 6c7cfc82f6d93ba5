/**
 * DESIGN.md "Verification order and responses", row by row, against every harness: the same table
 * of requests must get the same status, challenge, body code and handler behaviour from Express,
 * Koa, Hono through `app.request`, and Hono behind a real listening server.
 */
import { type BehaviourResponse, type Client, HARNESSES, ROUTES } from "./harnesses";
import {
  countingRateLimiter,
  createWorld,
  expectNoSecretLeaks,
  expectWellFormedFailures,
  HOUR,
  insertLegacyTeamToken,
  mintToken,
  TEAM,
  USERS,
  type World,
  type WorldOptions,
  WRITE_SCOPE,
} from "./world";

interface Fixtures {
  /** Alice's personal token, no scopes, never expires. */
  readonly personal: string;
  readonly personalId: number;
  /** Alice's personal token carrying the scope `/scoped` needs. */
  readonly writer: string;
  /** Frank's token for team 10 (Frank is an ADMIN there; Alice owns the team). */
  readonly team: string;
  /** A Documenso row: team 10, no creator. */
  readonly legacy: string;
  /** Erin's personal token. */
  readonly erin: string;
  /** Alice's token that expires an hour after the start. */
  readonly expiring: string;
}

async function fixtures(world: World): Promise<Fixtures> {
  const personal = await mintToken(world, USERS.alice, { tokenName: "alice personal" });
  return {
    personal: personal.token,
    personalId: personal.id,
    writer: (await mintToken(world, USERS.alice, { tokenName: "alice writer", scopes: [WRITE_SCOPE] })).token,
    team: (await mintToken(world, USERS.frank, { tokenName: "frank team", teamId: TEAM })).token,
    legacy: (await insertLegacyTeamToken(world, TEAM)).token,
    erin: (await mintToken(world, USERS.erin, { tokenName: "erin personal" })).token,
    expiring: (
      await mintToken(world, USERS.alice, {
        tokenName: "alice short",
        expirationDate: new Date(world.now.getTime() + HOUR).toISOString(),
      })
    ).token,
  };
}

const CHALLENGE = {
  bare: 'Bearer realm="api"',
  invalidRequest: 'Bearer realm="api", error="invalid_request"',
  invalidToken: 'Bearer realm="api", error="invalid_token"',
  expired: 'Bearer realm="api", error="invalid_token", error_description="The access token expired"',
  scope: `Bearer realm="api", error="insufficient_scope", scope="${WRITE_SCOPE}"`,
} as const;

type Route = (typeof ROUTES)[keyof typeof ROUTES];

interface AuthCase {
  readonly name: string;
  readonly route?: Route;
  /** Appended to the path, e.g. `?access_token=…`. */
  readonly query?: (fx: Fixtures) => string;
  readonly headers?: (fx: Fixtures) => Array<[string, string]>;
  /** A factory, so stateful options (a rate limiter) are fresh for every harness. */
  readonly world?: () => WorldOptions;
  /** Changes the world before the request: revoke, disable, move the clock. */
  readonly arrange?: (world: World, fx: Fixtures, client: Client) => Promise<void> | void;
  readonly expect: {
    readonly status: number;
    /** The body's `error`; absent on success. */
    readonly code?: string;
    /** The exact `WWW-Authenticate`; null asserts there is none. */
    readonly challenge?: string | null;
    readonly retryAfter?: string;
    /** On success: who the request acts as. */
    readonly userId?: number | null;
    readonly teamId?: number | null;
    readonly headers?: Readonly<Record<string, string>>;
  };
}

const bearer = (token: string): Array<[string, string]> => [["authorization", `Bearer ${token}`]];
const authorization = (value: string): Array<[string, string]> => [["authorization", value]];

const unauthorized = (code: string, challenge: string) => ({ status: 401, code, challenge }) as const;
const malformed = { status: 400, code: "invalid_request", challenge: CHALLENGE.invalidRequest } as const;

const CASES: readonly AuthCase[] = [
  // 1. No credentials
  { name: "no Authorization header", expect: unauthorized("missing_credentials", CHALLENGE.bare) },
  {
    name: "another scheme (Basic) is no bearer credential: bare challenge",
    headers: () => authorization("Basic YWxhZGRpbjpvcGVuc2VzYW1l"),
    expect: unauthorized("missing_credentials", CHALLENGE.bare),
  },
  {
    name: "a query token is ignored while query tokens are off",
    query: (fx) => `?access_token=${fx.personal}`,
    expect: unauthorized("missing_credentials", CHALLENGE.bare),
  },
  // 2. Malformed
  {
    name: "two Authorization headers, both valid",
    headers: (fx) => [...bearer(fx.personal), ...bearer(fx.writer)],
    expect: malformed,
  },
  { name: "Bearer a b", headers: () => authorization("Bearer a b"), expect: malformed },
  { name: "Bearer a,b", headers: () => authorization("Bearer a,b"), expect: malformed },
  {
    name: "two schemes in one header",
    headers: (fx) => authorization(`Bearer ${fx.personal}, Basic YWxhZGRpbg==`),
    expect: malformed,
  },
  { name: "a lone Bearer", headers: () => authorization("Bearer"), expect: malformed },
  {
    name: "a bearer token with characters outside b64token",
    headers: () => authorization("Bearer api_0123$5678!abcdef"),
    expect: malformed,
  },
  {
    name: "a raw token with characters outside b64token",
    headers: () => authorization("api_ab@d"),
    expect: malformed,
  },
  { name: "an empty Authorization value", headers: () => authorization(""), expect: malformed },
  {
    name: "a tab between scheme and token",
    headers: (fx) => authorization(`Bearer\t${fx.personal}`),
    expect: malformed,
  },
  {
    name: "query token and header together",
    world: () => ({ allowQueryToken: true }),
    query: (fx) => `?access_token=${fx.personal}`,
    headers: (fx) => bearer(fx.personal),
    expect: malformed,
  },
  {
    name: "two access_token parameters",
    world: () => ({ allowQueryToken: true }),
    query: (fx) => `?access_token=${fx.personal}&access_token=${fx.writer}`,
    expect: malformed,
  },
  {
    name: "two Authorization headers whose names differ in case",
    headers: (fx) => [
      ["Authorization", `Bearer ${fx.personal}`],
      ["authorization", `Bearer ${fx.personal}`],
    ],
    expect: malformed,
  },
  {
    name: "a Bearer credential behind another scheme in one header",
    headers: (fx) => authorization(`Basic YWxhZGRpbg==, Bearer ${fx.personal}`),
    expect: malformed,
  },
  {
    name: "a percent-encoded access_token name and a header together",
    world: () => ({ allowQueryToken: true }),
    query: (fx) => `?access%5Ftoken=${fx.personal}`,
    headers: (fx) => bearer(fx.personal),
    expect: malformed,
  },
  // 3. Unknown, wrong shape, revoked
  {
    name: "an unknown token of the right shape",
    headers: () => bearer("api_0000000000000000"),
    expect: unauthorized("invalid_token", CHALLENGE.invalidToken),
  },
  {
    name: "a b64token of the wrong shape",
    headers: () => bearer("not-a-tokengate-token"),
    expect: unauthorized("invalid_token", CHALLENGE.invalidToken),
  },
  {
    name: "a token in the wrong case",
    headers: (fx) => bearer(fx.personal.toUpperCase()),
    expect: unauthorized("invalid_token", CHALLENGE.invalidToken),
  },
  {
    name: "a revoked token",
    arrange: async (world, fx) => {
      const deleted = await world.gate.service.delete({ kind: "user", userId: USERS.alice }, fx.personalId);
      expect(deleted.ok).toBe(true);
    },
    headers: (fx) => bearer(fx.personal),
    expect: unauthorized("invalid_token", CHALLENGE.invalidToken),
  },
  // 4. Owner disabled
  {
    name: "a personal token whose user is disabled",
    arrange: async (world) => {
      world.directory.setDisabled(USERS.erin, true);
      await world.gate.directoryChanged();
    },
    headers: (fx) => bearer(fx.erin),
    expect: unauthorized("owner_disabled", CHALLENGE.invalidToken),
  },
  {
    name: "a team token whose team owner is disabled",
    arrange: async (world) => {
      world.directory.setDisabled(USERS.alice, true);
      await world.gate.directoryChanged();
    },
    headers: (fx) => bearer(fx.team),
    expect: unauthorized("owner_disabled", CHALLENGE.invalidToken),
  },
  {
    name: "a legacy team token whose team owner is disabled",
    arrange: async (world) => {
      world.directory.setDisabled(USERS.alice, true);
      await world.gate.directoryChanged();
    },
    headers: (fx) => bearer(fx.legacy),
    expect: unauthorized("owner_disabled", CHALLENGE.invalidToken),
  },
  {
    name: "a team token whose creator left the team",
    arrange: async (world) => {
      world.directory.setRole(TEAM, USERS.frank, null);
      await world.gate.directoryChanged();
    },
    headers: (fx) => bearer(fx.team),
    expect: unauthorized("invalid_token", CHALLENGE.invalidToken),
  },
  // 5. Expired
  {
    name: "a token one millisecond before its expiry",
    arrange: (world) => world.advance(HOUR - 1),
    headers: (fx) => bearer(fx.expiring),
    expect: { status: 200, userId: USERS.alice, teamId: null },
  },
  {
    name: "a token at its expiry instant",
    arrange: (world) => world.advance(HOUR),
    headers: (fx) => bearer(fx.expiring),
    expect: unauthorized("token_expired", CHALLENGE.expired),
  },
  // 6. Scope
  {
    name: "a valid token without the route's scope",
    route: ROUTES.scoped,
    headers: (fx) => bearer(fx.personal),
    expect: { status: 403, code: "insufficient_scope", challenge: CHALLENGE.scope },
  },
  {
    name: "a valid token with the route's scope",
    route: ROUTES.scoped,
    headers: (fx) => bearer(fx.writer),
    expect: { status: 200, userId: USERS.alice, teamId: null },
  },
  {
    name: "no credentials on a scoped route",
    route: ROUTES.scoped,
    expect: unauthorized("missing_credentials", CHALLENGE.bare),
  },
  // 7. Rate limit
  {
    name: "a token over its rate limit",
    world: () => ({ rateLimiter: countingRateLimiter(1) }),
    arrange: async (_world, fx, client) => {
      const first = await client.send({
        method: "GET",
        path: ROUTES.protected,
        headers: bearer(fx.personal),
      });
      expect(first.status).toBe(200);
      expect(first.headers["ratelimit-remaining"]).toBe("0");
    },
    headers: (fx) => bearer(fx.personal),
    expect: {
      status: 429,
      code: "rate_limited",
      retryAfter: "30",
      headers: { "ratelimit-limit": "1", "ratelimit-remaining": "0" },
    },
  },
  // 8. Store unreachable
  {
    name: "the store cannot be reached",
    arrange: (world) => {
      world.store.down = true;
    },
    headers: (fx) => bearer(fx.personal),
    expect: { status: 503, code: "store_unavailable", challenge: null, retryAfter: "5" },
  },
  {
    name: "the store cannot be reached, on an optional route",
    route: ROUTES.optional,
    arrange: (world) => {
      world.store.down = true;
    },
    headers: (fx) => bearer(fx.personal),
    expect: { status: 503, code: "store_unavailable", challenge: null, retryAfter: "5" },
  },
  {
    name: "the store cannot be reached, on an unknown token",
    arrange: (world) => {
      world.store.down = true;
    },
    headers: () => bearer("api_0000000000000000"),
    expect: { status: 503, code: "store_unavailable", challenge: null, retryAfter: "5" },
  },
  // The order: an earlier row wins over a later one.
  {
    name: "order: no credentials is answered without the store",
    arrange: (world) => {
      world.store.down = true;
    },
    expect: unauthorized("missing_credentials", CHALLENGE.bare),
  },
  {
    name: "order: a malformed header is answered without the store",
    arrange: (world) => {
      world.store.down = true;
    },
    headers: () => authorization("Bearer a b"),
    expect: malformed,
  },
  {
    name: "order: a wrong-shape token is refused without the store",
    arrange: (world) => {
      world.store.down = true;
    },
    headers: () => bearer("not-a-tokengate-token"),
    expect: unauthorized("invalid_token", CHALLENGE.invalidToken),
  },
  {
    name: "order: a disabled owner is reported before expiry",
    arrange: async (world) => {
      world.directory.setDisabled(USERS.alice, true);
      await world.gate.directoryChanged();
      world.advance(HOUR);
    },
    headers: (fx) => bearer(fx.expiring),
    expect: unauthorized("owner_disabled", CHALLENGE.invalidToken),
  },
  {
    name: "order: expiry is reported before a missing scope",
    route: ROUTES.scoped,
    arrange: (world) => world.advance(HOUR),
    headers: (fx) => bearer(fx.expiring),
    expect: unauthorized("token_expired", CHALLENGE.expired),
  },
  {
    // DESIGN.md puts the scope check (6) before the rate limit (7): a token that may not use the
    // route learns that, and the refusal does not spend its budget.
    name: "order: a missing scope is reported before the rate limit",
    route: ROUTES.scoped,
    world: () => ({ rateLimiter: countingRateLimiter(0) }),
    headers: (fx) => bearer(fx.personal),
    expect: { status: 403, code: "insufficient_scope", challenge: CHALLENGE.scope },
  },
  // Accepted forms
  {
    name: "Bearer with a personal token",
    headers: (fx) => bearer(fx.personal),
    expect: { status: 200, userId: USERS.alice, teamId: null },
  },
  {
    name: "Documenso's raw form, no scheme",
    headers: (fx) => authorization(fx.personal),
    expect: { status: 200, userId: USERS.alice, teamId: null },
  },
  {
    name: "the scheme in any case (bEaReR)",
    headers: (fx) => authorization(`bEaReR ${fx.personal}`),
    expect: { status: 200, userId: USERS.alice, teamId: null },
  },
  {
    name: "surrounding whitespace and several spaces after the scheme",
    headers: (fx) => authorization(`   Bearer   ${fx.personal}   `),
    expect: { status: 200, userId: USERS.alice, teamId: null },
  },
  {
    name: "a team token acts as its creator inside the team",
    headers: (fx) => bearer(fx.team),
    expect: { status: 200, userId: USERS.frank, teamId: TEAM },
  },
  {
    name: "a legacy Documenso team token acts as the team's owner",
    headers: (fx) => bearer(fx.legacy),
    expect: { status: 200, userId: USERS.alice, teamId: TEAM },
  },
  {
    name: "a query token where the deployment allows it",
    world: () => ({ allowQueryToken: true }),
    query: (fx) => `?access_token=${fx.personal}`,
    expect: { status: 200, userId: USERS.alice, teamId: null },
  },
  {
    name: "a percent-encoded access_token name where query tokens are allowed",
    world: () => ({ allowQueryToken: true }),
    query: (fx) => `?access%5Ftoken=${fx.personal}`,
    expect: { status: 200, userId: USERS.alice, teamId: null },
  },
  {
    name: "the header name in capitals",
    headers: (fx) => [["AUTHORIZATION", `Bearer ${fx.personal}`]],
    expect: { status: 200, userId: USERS.alice, teamId: null },
  },
  // Optional (anonymous) mode
  {
    name: "optional route, no credentials: the handler runs anonymously",
    route: ROUTES.optional,
    expect: { status: 200, userId: null },
  },
  {
    name: "optional route, a valid token: the identity is attached",
    route: ROUTES.optional,
    headers: (fx) => bearer(fx.team),
    expect: { status: 200, userId: USERS.frank, teamId: TEAM },
  },
  {
    name: "optional route, an unknown token is refused, not made anonymous",
    route: ROUTES.optional,
    headers: () => bearer("api_0000000000000000"),
    expect: unauthorized("invalid_token", CHALLENGE.invalidToken),
  },
  {
    name: "optional route, an expired token is refused",
    route: ROUTES.optional,
    arrange: (world) => world.advance(HOUR),
    headers: (fx) => bearer(fx.expiring),
    expect: unauthorized("token_expired", CHALLENGE.expired),
  },
  {
    name: "optional route, a malformed header is refused",
    route: ROUTES.optional,
    headers: () => authorization("Bearer a b"),
    expect: malformed,
  },
];

function expectAnswer(response: BehaviourResponse, expected: AuthCase["expect"]): void {
  expect(response.status).toBe(expected.status);
  if (expected.status === 401) expect(response.headers["www-authenticate"]).toBeDefined();
  if (expected.challenge === null) expect(response.headers["www-authenticate"]).toBeUndefined();
  else if (expected.challenge !== undefined)
    expect(response.headers["www-authenticate"]).toBe(expected.challenge);
  if (expected.retryAfter !== undefined) expect(response.headers["retry-after"]).toBe(expected.retryAfter);
  for (const [name, value] of Object.entries(expected.headers ?? {}))
    expect(response.headers[name]).toBe(value);
  expect(response.headers["content-type"]).toMatch(/^application\/json/);

  if (expected.code !== undefined) {
    const body = response.json as { error?: unknown; message?: unknown; scope?: unknown };
    expect(body).toEqual(expect.objectContaining({ error: expected.code, message: expect.any(String) }));
    if (expected.code === "insufficient_scope") expect(body.scope).toBe(WRITE_SCOPE);
    return;
  }
  const { auth } = response.json as { auth: { userId: number; teamId: number | null } | null };
  if (expected.userId === null) {
    expect(auth).toBeNull();
    return;
  }
  expect(auth).toEqual(expect.objectContaining({ userId: expected.userId, teamId: expected.teamId }));
}

describe.each(HARNESSES)("verification order and responses: $name", (harness) => {
  let world: World | undefined;
  let client: Client | undefined;

  afterEach(async () => {
    await client?.close();
    if (world) {
      expectNoSecretLeaks(world);
      expectWellFormedFailures(world);
    }
    client = undefined;
    world = undefined;
  });

  it.each(CASES)("$name", async (row) => {
    world = createWorld(row.world?.());
    const fx = await fixtures(world);
    client = await harness.start(world);
    await row.arrange?.(world, fx, client);
    const route = row.route ?? ROUTES.protected;
    const runsBefore = world.runsOf(route);

    const response = await client.send({
      method: "GET",
      path: route + (row.query?.(fx) ?? ""),
      headers: row.headers?.(fx) ?? [],
    });

    expectAnswer(response, row.expect);
    // The handler runs exactly when the request is let through.
    expect(world.runsOf(route) - runsBefore).toBe(row.expect.status === 200 ? 1 : 0);
  });
});
