/**
 * What the three demo apps share: the seeded users and teams, the fake "session" (HTTP Basic with
 * fixed demo passwords), the `/api/v1/me` body and the instructions printed on start. Each
 * framework file only wires these into its own routing.
 */
import { createHash, timingSafeEqual } from "node:crypto";
import {
  type Actor,
  type AuthIdentity,
  type HttpAnswer,
  livenessAnswer,
  readinessAnswer,
  type TokenGate,
} from "@tokengate/core";
import type { SeedableDirectory } from "../open-store";

/** A demo login. The passwords are printed in the README: this is a demo, not a user system. */
export interface DemoUser {
  readonly id: number;
  readonly login: string;
  readonly password: string;
  readonly email: string;
  readonly disabled: boolean;
}

export const DEMO_USERS: readonly DemoUser[] = [
  { id: 1, login: "alice", password: "alice-demo", email: "alice@example.com", disabled: false },
  { id: 2, login: "bob", password: "bob-demo", email: "bob@example.com", disabled: false },
  { id: 3, login: "carol", password: "carol-demo", email: "carol@example.com", disabled: true },
];

export const DEMO_TEAMS = [
  {
    id: 1,
    name: "acme",
    ownerUserId: 1,
    members: [
      { userId: 1, role: "ADMIN" },
      { userId: 2, role: "MEMBER" },
    ],
  },
  { id: 2, name: "globex", ownerUserId: 3, members: [{ userId: 3, role: "ADMIN" }] },
] as const;

/** Where the demo mounts things. */
export const DEMO_ADMIN_PATH = "/api-tokens";
export const DEMO_ME_PATH = "/api/v1/me";
/** Liveness: 200 while the process serves. */
export const DEMO_HEALTHZ_PATH = "/healthz";
/** Readiness: 503 with `gate.health()` while the store is unreachable or the cache is not yet healthy. */
export const DEMO_READYZ_PATH = "/readyz";

/** The answer at `DEMO_HEALTHZ_PATH` or `DEMO_READYZ_PATH`; undefined for any other path. */
export async function probeAnswer(gate: TokenGate, path: string): Promise<HttpAnswer | undefined> {
  if (path === DEMO_HEALTHZ_PATH) return livenessAnswer();
  if (path === DEMO_READYZ_PATH) return readinessAnswer(await gate.health());
  return undefined;
}
/**
 * The demo's admin router serves the token page, and challenges with HTTP Basic so a browser
 * asks for a demo login.
 */
export const DEMO_ADMIN_SETTINGS = {
  page: true,
  sessionChallenge: 'Basic realm="tokengate demo", charset="UTF-8"',
};

/**
 * Seeds the demo users and teams unless the directory already has them (first start only, so a
 * change an operator made to the demo data survives a restart). Returns whether it seeded.
 */
export async function seedDemoDirectory(directory: SeedableDirectory): Promise<boolean> {
  if (await directory.findUser(DEMO_USERS[0]!.id)) return false;
  for (const user of DEMO_USERS) {
    await directory.upsertUser({ id: user.id, name: user.login, email: user.email, disabled: user.disabled });
  }
  for (const team of DEMO_TEAMS) {
    await directory.upsertTeam({ id: team.id, name: team.name, ownerUserId: team.ownerUserId });
    for (const member of team.members) await directory.setRole(team.id, member.userId, member.role);
  }
  return true;
}

const sha256 = (text: string) => createHash("sha256").update(text).digest();

const PASSWORD_DIGESTS = new Map(DEMO_USERS.map((u) => [u.login, { id: u.id, digest: sha256(u.password) }]));
// Compared against when the login is unknown, so a wrong login costs what a wrong password does.
const NO_USER_DIGEST = sha256("\0no such demo user");

/**
 * The demo's "session": HTTP Basic with a demo login. A real application reads its own session
 * cookie here; what matters is that the admin router learns who is signed in from the app, not
 * from a token. Digests of equal length go into `timingSafeEqual`, so the comparison takes the
 * same time whatever the password's length or first wrong byte.
 */
export function demoActorFromAuthorization(header: string | undefined | null): Actor {
  const match = /^Basic +([A-Za-z0-9+/=]+) *$/i.exec(header ?? "");
  if (!match) return null;
  const decoded = Buffer.from(match[1]!, "base64").toString("utf8");
  const colon = decoded.indexOf(":");
  if (colon < 0) return null;
  const known = PASSWORD_DIGESTS.get(decoded.slice(0, colon));
  const matches = timingSafeEqual(sha256(decoded.slice(colon + 1)), known?.digest ?? NO_USER_DIGEST);
  return known && matches ? { userId: known.id } : null;
}

/** The body of `GET /api/v1/me`: who the token acts as. */
export interface MeBody {
  readonly userId: number;
  readonly teamId: number | null;
  readonly tokenId: number;
  readonly tokenName: string;
  readonly scopes: readonly string[];
}

export function meBody(auth: AuthIdentity): MeBody {
  return {
    userId: auth.userId,
    teamId: auth.teamId,
    tokenId: auth.tokenId,
    tokenName: auth.tokenName,
    scopes: auth.scopes,
  };
}

/** The demo's landing answer at `/`: where to go next. */
export function indexBody(): Record<string, string> {
  return {
    name: "tokengate demo",
    admin: `${DEMO_ADMIN_PATH} (HTTP Basic: alice:alice-demo, bob:bob-demo)`,
    page: `${DEMO_ADMIN_PATH}/ui (manage tokens in a browser; sign in as alice / alice-demo)`,
    openapi: `${DEMO_ADMIN_PATH}/openapi.json (the admin API, described in OpenAPI 3.1)`,
    events: `${DEMO_ADMIN_PATH}/events (the token security log: ?teamId= or ?tokenId=)`,
    protected: `${DEMO_ME_PATH} (Authorization: Bearer <token>)`,
  };
}

/** The base URL curl should use: a wildcard listen address is reached through loopback. */
export function curlBaseUrl(host: string, port: number): string {
  const reachable = host === "0.0.0.0" || host === "" ? "127.0.0.1" : host === "::" ? "::1" : host;
  return `http://${reachable.includes(":") ? `[${reachable}]` : reachable}:${port}`;
}

/**
 * The commands printed on start, valid `sh` as a whole (the prose lines are comments), so they can
 * be pasted into a terminal, or run as printed, as the CLI's own tests do.
 */
export function demoInstructions(baseUrl: string): string {
  return [
    "# Create a token as alice (HTTP Basic stands in for your app's session) and keep it in $TOKEN:",
    `TOKEN=$(curl -s -u alice:alice-demo -H 'content-type: application/json' -d '{"tokenName":"my-first-token","expirationDate":"30d"}' ${baseUrl}${DEMO_ADMIN_PATH} | sed -E 's/.*"token":"([^"]+)".*/\\1/')`,
    "# Call the protected API with it:",
    `curl -H "Authorization: Bearer $TOKEN" ${baseUrl}${DEMO_ME_PATH}`,
  ].join("\n");
}

/** A token of the right shape that was never issued: its digest matches no row. */
export const DEMO_BAD_TOKEN = "api_0000000000000000";

/**
 * The printed demonstration of the failed-attempt limiter: two more bad tokens than the limit
 * allows, from one address, tallied by status. As `sh` it prints the count of 401s, then of 429s.
 */
export function failedAttemptsInstructions(
  baseUrl: string,
  limits: { readonly maxFailures: number; readonly windowSeconds: number },
): string {
  const refill = limits.windowSeconds / limits.maxFailures;
  return [
    `# Bad tokens from one address: the first ${limits.maxFailures} in ${limits.windowSeconds} s get 401, the rest 429 with Retry-After.`,
    `# The address gets one attempt back every ${refill} s, so run this last (or wait ${limits.windowSeconds} s afterwards).`,
    `for i in $(seq ${limits.maxFailures + 2}); do curl -s -o /dev/null -w '%{http_code}\\n' -H 'Authorization: Bearer ${DEMO_BAD_TOKEN}' ${baseUrl}${DEMO_ME_PATH}; done | sort | uniq -c`,
  ].join("\n");
}
