/**
 * The shared world every harness serves: one gate over a memory store and directory, a frozen clock
 * the tests move by hand, handler-run counters, and a record of every response so a test can prove
 * no body ever leaked a token or its digest.
 */
import { createHash } from "node:crypto";
import {
  type AdminRouterSettings,
  createTokenGate,
  MemoryDirectory,
  type MemoryDirectory as MemoryDirectoryType,
  MemoryTokenStore,
  type NewTokenRecord,
  type RateLimiter,
  silentLogger,
  type TeamRole,
  type TokenGate,
  type TokenGateOptions,
  type TokenRecord,
} from "@tokengate/core";

/** The people and teams every test starts with. Team 10 is owned by Alice, team 20 by Dave. */
export const USERS = {
  alice: 1, // owns team 10, ADMIN there
  bob: 2, // MEMBER of team 10
  carol: 3, // MANAGER of team 10
  dave: 4, // outside team 10; owns team 20
  erin: 5, // no team; her account gets disabled in some tests
  frank: 6, // ADMIN of team 10 without owning it
} as const;
export const TEAM = 10;
export const OTHER_TEAM = 20;

/** 31 January, so ONE_MONTH has to land on the last day of February. */
export const START = new Date("2027-01-31T12:00:00.000Z");

/** The scope the `/scoped` route needs. */
export const WRITE_SCOPE = "documents:write";

/** A store that can be switched off: every read and write rejects as an unreachable database would. */
export class SwitchableTokenStore extends MemoryTokenStore {
  down = false;

  #check(): void {
    if (this.down) throw new Error("connect ECONNREFUSED 127.0.0.1:5432");
  }

  override async findByDigest(digest: string): Promise<TokenRecord | null> {
    this.#check();
    return super.findByDigest(digest);
  }

  override async findById(id: number): Promise<TokenRecord | null> {
    this.#check();
    return super.findById(id);
  }

  override async insert(token: NewTokenRecord): Promise<TokenRecord> {
    this.#check();
    return super.insert(token);
  }

  override async listByUser(userId: number): Promise<TokenRecord[]> {
    this.#check();
    return super.listByUser(userId);
  }

  override async listByTeam(teamId: number): Promise<TokenRecord[]> {
    this.#check();
    return super.listByTeam(teamId);
  }
}

/** What one response looked like, kept for the leak check. */
export interface RecordedResponse {
  readonly method: string;
  readonly path: string;
  readonly status: number;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string;
}

export type WorldOptions = Partial<
  Pick<
    TokenGateOptions,
    | "allowQueryToken"
    | "teamTokenRoles"
    | "rateLimiter"
    | "usageFlushIntervalMs"
    | "trustedProxies"
    | "trustedOrigins"
    | "logger"
  >
> & {
  /** Settings every harness gives its admin router (e.g. a short `bodyTimeoutMs`). */
  readonly adminSettings?: AdminRouterSettings;
};

/** What a harness needs to build its app: the gate, the router settings, and where to record. */
export interface AppWorld {
  readonly gate: TokenGate;
  readonly adminSettings: AdminRouterSettings;
  /** Every plain token the world has seen: minted through the service or the routers, or inserted. */
  readonly plainTokens: Set<string>;
  readonly responses: RecordedResponse[];
  countRun(route: string): void;
  runsOf(route: string): number;
}

/** An app world around any gate: a real store's, for the tests that need SQLite or PostgreSQL. */
export function appWorld(gate: TokenGate, adminSettings: AdminRouterSettings = {}): AppWorld {
  const runs: Record<string, number> = {};
  return {
    gate,
    adminSettings,
    plainTokens: new Set(),
    responses: [],
    countRun(route) {
      runs[route] = (runs[route] ?? 0) + 1;
    },
    runsOf: (route) => runs[route] ?? 0,
  };
}

export interface World extends AppWorld {
  readonly store: SwitchableTokenStore;
  readonly directory: MemoryDirectoryType;
  /** The frozen time the gate reads. Assign to move it. */
  now: Date;
  /** Handler runs per route path, counted by every harness's app. */
  readonly runs: Record<string, number>;
  advance(ms: number): void;
}

export const sha512 = (token: string): string => createHash("sha512").update(token).digest("hex");

const SECOND = 1000;
export const MINUTE = 60 * SECOND;
export const HOUR = 60 * MINUTE;
export const DAY = 24 * 60 * MINUTE;

/** Builds a fresh world: its own store, directory, clock and gate. */
export function createWorld({ adminSettings = {}, ...options }: WorldOptions = {}): World {
  const store = new SwitchableTokenStore();
  const directory = new MemoryDirectory();
  for (const [name, id] of Object.entries(USERS)) {
    directory.upsertUser({ id, name, email: `${name}@example.test`, disabled: false });
  }
  directory.upsertTeam({ id: TEAM, name: "Acme", ownerUserId: USERS.alice });
  directory.upsertTeam({ id: OTHER_TEAM, name: "Globex", ownerUserId: USERS.dave });
  const roles: Array<[number, number, TeamRole]> = [
    [TEAM, USERS.alice, "ADMIN"],
    [TEAM, USERS.bob, "MEMBER"],
    [TEAM, USERS.carol, "MANAGER"],
    [TEAM, USERS.frank, "ADMIN"],
    [OTHER_TEAM, USERS.dave, "ADMIN"],
  ];
  for (const [team, user, role] of roles) directory.setRole(team, user, role);

  const runs: Record<string, number> = {};
  const world: World = {
    store,
    directory,
    now: START,
    runs,
    plainTokens: new Set(),
    responses: [],
    gate: undefined as unknown as TokenGate,
    adminSettings,
    advance(ms) {
      world.now = new Date(world.now.getTime() + ms);
    },
    countRun(route) {
      runs[route] = (runs[route] ?? 0) + 1;
    },
    runsOf(route) {
      return runs[route] ?? 0;
    },
  };
  (world as { gate: TokenGate }).gate = createTokenGate({
    store,
    directory,
    clock: () => world.now,
    logger: silentLogger,
    usageFlushIntervalMs: false,
    ...options,
  });
  return world;
}

/**
 * Mints a token through the service, as the given user would through the router, and remembers
 * the plain token for the leak check.
 */
export async function mintToken(
  world: World,
  userId: number,
  request: { tokenName?: string; teamId?: number | null; expirationDate?: string | null; scopes?: string[] },
): Promise<{ id: number; token: string }> {
  const created = await world.gate.service.create(
    { kind: "user", userId },
    { tokenName: "behaviour fixture", ...request },
  );
  if (!created.ok) throw new Error(`fixture token refused: ${created.error.code} ${created.error.message}`);
  world.plainTokens.add(created.value.token);
  return created.value;
}

/**
 * Writes a row the way Documenso stored its legacy team tokens: no creator, a team, the SHA-512
 * of the token. Such a token acts as the team's owner.
 */
export async function insertLegacyTeamToken(
  world: World,
  teamId: number,
): Promise<{ id: number; token: string }> {
  // Documenso's shape: api_ + 16 of [0-9a-z].
  const token = "api_legacy0team0tok0";
  const record = await world.store.insert({
    name: "documenso legacy",
    digest: sha512(token),
    algorithm: "SHA512",
    userId: null,
    teamId,
    createdAt: world.now,
    expiresAt: null,
    scopes: [],
  });
  world.plainTokens.add(token);
  return { id: record.id, token };
}

/** A rate limiter for the 429 row: allows `limit` requests per token, then refuses for 30 s. */
export function countingRateLimiter(limit: number): RateLimiter {
  const used = new Map<number, number>();
  return {
    async consume(identity) {
      const count = (used.get(identity.tokenId) ?? 0) + 1;
      used.set(identity.tokenId, count);
      const remaining = Math.max(0, limit - count);
      const headers = { "ratelimit-limit": String(limit), "ratelimit-remaining": String(remaining) };
      return count <= limit ? { allowed: true, headers } : { allowed: false, headers, retryAfter: 30 };
    },
  };
}

/**
 * The secrecy rule over everything a world answered: no response, body or header, ever carries a
 * token's SHA-512 digest, and a plain token appears at most once: in the 201 of the create or
 * rotate call that minted it.
 */
export function expectNoSecretLeaks(world: AppWorld): void {
  // The create and rotate paths, however a client spelled them (case, a trailing slash, a query).
  const minting = /^\/api-tokens\/?(\/[^/?]+\/rotate\/?)?(\?.*)?$/i;
  for (const token of world.plainTokens) {
    const digest = sha512(token);
    let shown = 0;
    for (const response of world.responses) {
      const where = `${response.method} ${response.path} → ${response.status}`;
      const text = response.body + JSON.stringify(response.headers);
      if (text.includes(digest)) throw new Error(`the digest of a token leaked in ${where}`);
      if (!text.includes(token)) continue;
      shown++;
      const mints = response.method === "POST" && response.status === 201 && minting.test(response.path);
      if (!mints || shown > 1) throw new Error(`a plain token leaked in ${where}`);
    }
  }
}

/**
 * What every failure a world answered must look like, whichever test sent it: a JSON
 * `{ error, message }` body with a stable code, and on the middleware's 401s a `WWW-Authenticate`
 * challenge (RFC 9110 §15.5.2).
 */
export function expectWellFormedFailures(world: AppWorld): void {
  for (const response of world.responses) {
    // A HEAD answer has no body to be well formed.
    if (response.status < 400 || response.method === "HEAD") continue;
    const where = `${response.method} ${response.path} → ${response.status}`;
    let body: { error?: unknown; message?: unknown } | undefined;
    try {
      body = JSON.parse(response.body) as typeof body;
    } catch {
      throw new Error(`${where}: the body is not JSON: ${response.body.slice(0, 80)}`);
    }
    if (
      typeof body?.error !== "string" ||
      !/^[a-z_]+$/.test(body.error) ||
      typeof body.message !== "string"
    ) {
      throw new Error(`${where}: the body is not { error, message }`);
    }
    if (!/^application\/json/.test(response.headers["content-type"] ?? "")) {
      throw new Error(`${where}: the content type is not JSON`);
    }
    const middleware = !response.path.startsWith("/api-tokens");
    if (middleware && response.status === 401 && !response.headers["www-authenticate"]) {
      throw new Error(`${where}: a 401 without WWW-Authenticate`);
    }
  }
}
