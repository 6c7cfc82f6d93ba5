/**
 * The token page's answers: the static assets with their security headers, and the session the
 * page starts from. Everything here is framework-free, like the rest of the admin router.
 */
import { adminFailureAnswer, type HttpAnswer, jsonAnswer, TokenGateError } from "../errors";
import type { Directory, TeamRole } from "../types";
import { PAGE_HTML } from "./page-html";
import { PAGE_SCRIPT } from "./page-script";
import { PAGE_STYLE } from "./page-style";

/** The page's three files, by the admin operation that serves each. */
export type PageAsset = "page" | "pageScript" | "pageStyle";

// The page runs its one script file and nothing else: no inline script, no third party, no frames.
const CONTENT_SECURITY_POLICY = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "connect-src 'self'",
  "img-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join("; ");

const ASSET_HEADERS: Readonly<Record<string, string>> = {
  "content-security-policy": CONTENT_SECURITY_POLICY,
  "x-content-type-options": "nosniff",
  "x-frame-options": "DENY",
  "referrer-policy": "no-referrer",
  "cross-origin-opener-policy": "same-origin",
  "cross-origin-resource-policy": "same-origin",
  // The URLs carry no version, so a browser asks again each time and an upgrade shows at once.
  "cache-control": "no-cache",
};

const ASSETS: Record<PageAsset, { readonly type: string; readonly body: string }> = {
  page: { type: "text/html; charset=utf-8", body: PAGE_HTML },
  pageScript: { type: "text/javascript; charset=utf-8", body: PAGE_SCRIPT },
  pageStyle: { type: "text/css; charset=utf-8", body: PAGE_STYLE },
};

export function isPageAsset(operation: string): operation is PageAsset {
  return Object.hasOwn(ASSETS, operation);
}

/** One of the page's files, or 404 when the router was mounted without `page: true`. */
export function pageAssetAnswer(asset: PageAsset, enabled: boolean): HttpAnswer {
  if (!enabled) {
    return adminFailureAnswer(
      new TokenGateError("not_found", { message: "The token page is not enabled on this router" }),
    );
  }
  const { type, body } = ASSETS[asset];
  return { status: 200, headers: { ...ASSET_HEADERS, "content-type": type }, body };
}

/** What the page needs to know about the people behind the router. */
export interface SessionDirectory {
  readonly directory: Directory;
  /** Roles that may manage a team's tokens. */
  readonly teamTokenRoles: readonly TeamRole[];
}

/** `GET /session`: who is signed in, and which teams they belong to. */
export interface AdminSession {
  readonly user: { readonly id: number; readonly name: string | null };
  /**
   * The user's teams, with `canManage` true where the user may create and manage team tokens.
   * null when the directory cannot list a user's teams: the page then asks for a team id.
   */
  readonly teams: ReadonlyArray<{
    readonly id: number;
    readonly name: string | null;
    readonly role: TeamRole;
    readonly canManage: boolean;
  }> | null;
}

/** Answers `GET /session` for a signed-in user. */
export async function sessionAnswer(
  userId: number,
  people: SessionDirectory | undefined,
): Promise<HttpAnswer> {
  if (!people)
    return jsonAnswer(200, { user: { id: userId, name: null }, teams: null } satisfies AdminSession);
  const user = await people.directory.findUser(userId);
  if (!user) return adminFailureAnswer(new TokenGateError("unauthenticated"));
  if (user.disabled) {
    return adminFailureAnswer(new TokenGateError("forbidden", { message: "Your account is disabled" }));
  }
  const memberships = await people.directory.listTeamsOf?.(userId);
  const session: AdminSession = {
    user: { id: user.id, name: user.name ?? user.email ?? null },
    teams:
      memberships?.map(({ team, role }) => ({
        id: team.id,
        name: team.name ?? null,
        role,
        canManage: people.teamTokenRoles.includes(role),
      })) ?? null,
  };
  return jsonAnswer(200, session);
}
