/**
 * The token page's answers: its files with their security headers, and the session the page starts
 * from. The files themselves are not here: `@tokengate/admin-page` builds and ships them, and the
 * framework routers hand them over as the `pageFiles` setting. What to send with them (the content
 * security policy, the framing and caching rules) is decided here, once, for every adapter.
 */
import { adminFailureAnswer, type HttpAnswer, jsonAnswer, TokenGateError } from "../errors";
import { mayManageTeamTokens, type TokenService } from "../lifecycle/service";
import type { Directory, TeamRole } from "../ports/types";

/** The page's three files, by the admin operation that serves each. */
export type PageAsset = "page" | "pageScript" | "pageStyle";

/**
 * The page's files as text: what `@tokengate/admin-page`'s `tokenPageFiles()` returns. A port, so
 * the core holds no markup and an application could serve a page of its own.
 */
export type AdminPageFiles = { readonly [asset in PageAsset]: string };

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

const CONTENT_TYPES: Record<PageAsset, string> = {
  page: "text/html; charset=utf-8",
  pageScript: "text/javascript; charset=utf-8",
  pageStyle: "text/css; charset=utf-8",
};

export function isPageAsset(operation: string): operation is PageAsset {
  return Object.hasOwn(CONTENT_TYPES, operation);
}

/**
 * One of the page's files, or 404 when the router was mounted without `page: true`.
 * @param files the router's `pageFiles` setting, read on the first request for the page.
 */
export function pageAssetAnswer(
  asset: PageAsset,
  enabled: boolean,
  files: (() => AdminPageFiles) | undefined,
): HttpAnswer {
  if (!enabled || !files) {
    return adminFailureAnswer(
      new TokenGateError("not_found", { message: "The token page is not enabled on this router" }),
    );
  }
  return {
    status: 200,
    headers: { ...ASSET_HEADERS, "content-type": CONTENT_TYPES[asset] },
    body: files()[asset],
  };
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

/**
 * Answers `GET /session` for a signed-in user. Whether they may use the page at all (known, not
 * disabled) is the service's call, as for every lifecycle call.
 */
export async function sessionAnswer(
  userId: number,
  service: TokenService,
  people: SessionDirectory | undefined,
): Promise<HttpAnswer> {
  if (!people)
    return jsonAnswer(200, { user: { id: userId, name: null }, teams: null } satisfies AdminSession);
  const active = await service.activeUser(userId);
  if (!active.ok) return adminFailureAnswer(active.error);
  const user = active.value;
  const memberships = await people.directory.listTeamsOf?.(userId);
  const session: AdminSession = {
    user: { id: user.id, name: user.name ?? user.email ?? null },
    teams:
      memberships?.map(({ team, role }) => ({
        id: team.id,
        name: team.name ?? null,
        role,
        canManage: mayManageTeamTokens(role, people.teamTokenRoles),
      })) ?? null,
  };
  return jsonAnswer(200, session);
}
