/**
 * The token lifecycle, `TokenService`: create, list, revoke, rotate and the security log's pages,
 * each with the rule of who may do it. The admin router and the CLI call it; it calls the ports.
 *
 * Longer than most files here because every method shares the same who-may rules
 * (`activeUser`, `mayManageTeamTokens`, `#findManageable`), which apart would have to be exported.
 */
import { StoreConstraintError, TokenGateError } from "../errors";
import type { SecurityEventRecorder } from "../observability/security-events";
import type { Clock } from "../ports/clock";
import { consoleLogger, type Logger } from "../ports/logger";
import {
  decodeEventCursor,
  type EventPosition,
  encodeEventCursor,
  type SecurityLogQuery,
  toSecurityEvent,
} from "../ports/security-log";
import type {
  CredentialCache,
  Directory,
  DirectoryUser,
  Principal,
  TeamRole,
  TokenRecord,
  TokenStore,
} from "../ports/types";
import { err, ok, type Result } from "../result";
import type { TokenDigester } from "../verify/digest";
import type { TokenFormat } from "../verify/token-format";
import { isExpired, resolveExpiration } from "./expiration";
import {
  type ApiTokenSummary,
  CreateApiTokenRequestSchema,
  type CreateApiTokenResponse,
  type ListSecurityEventsResponse,
  RotateApiTokenRequestSchema,
  type RotateApiTokenResponse,
} from "./schemas";
import type { UsageReader } from "./usage";
import { fieldError, parseOrFail } from "./validation";

export interface TokenServiceConfig {
  readonly store: TokenStore;
  readonly directory: Directory;
  readonly digester: TokenDigester;
  readonly format: TokenFormat;
  readonly clock: Clock;
  /** Told after every revocation; resolves once every instance has dropped the token. */
  readonly cache?: CredentialCache | undefined;
  /** Roles that may manage a team's tokens. Default: ADMIN. */
  readonly teamTokenRoles: readonly TeamRole[];
  /** When set, the only scopes a token may carry. */
  readonly allowedScopes?: readonly string[] | undefined;
  /** Per-token usage counts for the list. */
  readonly usageReader?: UsageReader | undefined;
  /** Where a row the store refused for no reason it could name is reported. Default: the console. */
  readonly logger?: Logger | undefined;
  /** The token security log: told of every create, rotate and revoke, and read by `listEvents`. */
  readonly securityEvents?: SecurityEventRecorder | undefined;
}

/** The security log's page size when the caller names none. */
export const DEFAULT_EVENTS_LIMIT = 50;

const actorOf = (principal: Principal) => (principal.kind === "user" ? principal.userId : null);
const clientOf = (principal: Principal) => (principal.kind === "user" ? principal.client : undefined);

const iso = (d: Date | null) => (d ? d.toISOString() : null);

/**
 * Whether a user with this role in a team may create, list, rotate and revoke the team's tokens:
 * the role is one of the deployment's `teamTokenRoles`. No role (not a member) never may. The
 * service asks it on every team call and the token page's session shows its answer per team.
 */
export function mayManageTeamTokens(
  role: TeamRole | null | undefined,
  teamTokenRoles: readonly TeamRole[],
): boolean {
  return role !== null && role !== undefined && teamTokenRoles.includes(role);
}

const cannotManageTeam = () =>
  err(new TokenGateError("forbidden", { message: "You cannot manage this team's tokens" }));

/** The expiry a create or rotate asks for, refused when it has already passed. */
function futureExpiry(value: string | null, now: Date): Result<Date | null> {
  const expiresAt = resolveExpiration(value, now);
  if (isExpired(expiresAt, now))
    return err(fieldError("expirationDate", "expirationDate must be in the future"));
  return ok(expiresAt);
}

/**
 * The token lifecycle: create, list, delete, rotate, each checking who may do it. The admin router
 * and the CLI both call it; a `user` principal is held to the team rules, an `operator` (a person
 * at the server's terminal) is not, but still cannot mint a token that could never verify.
 */
export class TokenService {
  readonly #config: TokenServiceConfig;

  constructor(config: TokenServiceConfig) {
    if (config.teamTokenRoles.length === 0) throw new TypeError("teamTokenRoles must name at least one role");
    this.#config = config;
  }

  /** Metadata of a token as the list shows it: never the token, never its digest. */
  summarize(token: TokenRecord, now = this.#config.clock()): ApiTokenSummary {
    return {
      id: token.id,
      name: token.name,
      teamId: token.teamId,
      createdAt: token.createdAt.toISOString(),
      expiresAt: iso(token.expiresAt),
      status: isExpired(token.expiresAt, now) ? "expired" : "active",
      lastUsedAt: iso(token.lastUsedAt),
      createdBy: token.userId,
      scopes: [...token.scopes],
      replacedById: token.replacedById,
    };
  }

  /**
   * Creates a token and returns it in plain text, this once.
   * @param request the create body `{ tokenName, teamId, expirationDate, scopes }` (validated here).
   * @param onBehalfOf for an operator: the user who will own the token.
   */
  async create(
    principal: Principal,
    request: unknown,
    onBehalfOf?: number,
  ): Promise<Result<CreateApiTokenResponse>> {
    const parsed = parseOrFail(CreateApiTokenRequestSchema, request);
    if (!parsed.ok) return parsed;
    const { tokenName, expirationDate = null, scopes = [] } = parsed.value;
    const teamId = parsed.value.teamId ?? null;
    const now = this.#config.clock();

    const scopeProblem = this.#checkScopes(scopes);
    if (scopeProblem) return err(scopeProblem);
    const resolved = futureExpiry(expirationDate, now);
    if (!resolved.ok) return resolved;
    const expiresAt = resolved.value;

    let userId: number;
    if (principal.kind === "user") {
      const actor = await this.activeUser(principal.userId);
      if (!actor.ok) return actor;
      userId = principal.userId;
      if (teamId !== null) {
        const role = await this.#config.directory.findRole(teamId, userId);
        if (!mayManageTeamTokens(role, this.#config.teamTokenRoles)) {
          return err(new TokenGateError("forbidden", { message: "You cannot create tokens for this team" }));
        }
      }
    } else {
      if (onBehalfOf === undefined)
        return err(fieldError("userId", "an operator must name the token's user"));
      const user = await this.#config.directory.findUser(onBehalfOf);
      if (!user) return err(fieldError("userId", `no user ${onBehalfOf}`));
      userId = onBehalfOf;
      if (teamId !== null) {
        // A team token acts as its creator inside the team: one whose creator is not a member
        // would never verify, so refuse to mint it.
        if (!(await this.#config.directory.findTeam(teamId)))
          return err(fieldError("teamId", `no team ${teamId}`));
        if (!(await this.#config.directory.findRole(teamId, userId))) {
          return err(fieldError("teamId", `user ${userId} is not a member of team ${teamId}`));
        }
      }
    }

    const minted = await this.#mint({ name: tokenName, userId, teamId, expiresAt, scopes, now });
    if (!minted.ok) return minted;
    this.#config.securityEvents?.record(
      "created",
      minted.value.record,
      actorOf(principal),
      clientOf(principal),
    );
    return ok({ id: minted.value.record.id, token: minted.value.token });
  }

  /** Lists a team's tokens (`teamId`) or the principal's personal ones. Metadata only. */
  async list(
    principal: Principal,
    filter: { teamId?: number; userId?: number } = {},
  ): Promise<Result<ApiTokenSummary[]>> {
    let tokens: TokenRecord[];
    if (filter.teamId !== undefined) {
      if (principal.kind === "user") {
        const allowed = await this.#mayManageTeam(principal.userId, filter.teamId);
        if (!allowed.ok) return allowed;
      }
      tokens = await this.#config.store.listByTeam(filter.teamId);
    } else if (principal.kind === "user") {
      const actor = await this.activeUser(principal.userId);
      if (!actor.ok) return actor;
      tokens = await this.#config.store.listByUser(principal.userId);
    } else {
      if (filter.userId === undefined) return err(fieldError("userId", "name a user or a team"));
      tokens = await this.#config.store.listByUser(filter.userId);
    }
    const now = this.#config.clock();
    const summaries = tokens.map((t) => this.summarize(t, now));
    const reader = this.#config.usageReader;
    if (reader && summaries.length > 0) {
      try {
        const counts = await reader.counts(summaries.map((s) => s.id));
        for (const summary of summaries) {
          const c = counts.get(summary.id);
          summary.usage = {
            requests: c?.requests ?? 0,
            rateLimited: c?.rateLimited ?? 0,
            lastUsedAt: iso(c?.lastUsedAt ?? null),
          };
        }
      } catch {
        // Usage is extra: a list without it beats no list while the counter store is down.
      }
    }
    return ok(summaries);
  }

  /** Revokes a token: gone from the store, then from every cache tier and instance, then answered. */
  async delete(principal: Principal, id: number): Promise<Result<{ id: number }>> {
    const found = await this.#findManageable(principal, id);
    if (!found.ok) return found;
    await this.#config.store.delete(id);
    await this.#config.cache?.invalidate([found.value.digest]);
    this.#config.securityEvents?.record("revoked", found.value, actorOf(principal), clientOf(principal));
    return ok({ id });
  }

  /**
   * Issues a successor with the same name, team and scopes. The old token keeps working for
   * `gracePeriodSeconds` (default 0: revoked at once), never past its own expiry.
   */
  async rotate(
    principal: Principal,
    id: number,
    request: unknown = {},
  ): Promise<Result<RotateApiTokenResponse>> {
    // JSON `null` is not "no options": like any body that is not an object, it is refused.
    const parsed = parseOrFail(RotateApiTokenRequestSchema, request);
    if (!parsed.ok) return parsed;
    const found = await this.#findManageable(principal, id);
    if (!found.ok) return found;
    const old = found.value;
    const now = this.#config.clock();

    let expiresAt: Date | null;
    if (parsed.value.expirationDate !== undefined) {
      const resolved = futureExpiry(parsed.value.expirationDate, now);
      if (!resolved.ok) return resolved;
      expiresAt = resolved.value;
    } else {
      // Same lifetime as the old token, counted from now: rotating renews.
      expiresAt =
        old.expiresAt === null
          ? null
          : new Date(now.getTime() + (old.expiresAt.getTime() - old.createdAt.getTime()));
    }

    const minted = await this.#mint({
      name: old.name,
      userId: old.userId,
      teamId: old.teamId,
      expiresAt,
      scopes: old.scopes,
      now,
    });
    if (!minted.ok) return minted;
    const { record, token } = minted.value;
    const grace = parsed.value.gracePeriodSeconds ?? 0;
    let oldExpiresAt: Date | null;
    if (grace === 0) {
      await this.#config.store.delete(old.id);
      oldExpiresAt = now;
    } else {
      const end = new Date(now.getTime() + grace * 1000);
      oldExpiresAt = old.expiresAt && old.expiresAt < end ? old.expiresAt : end;
      await this.#config.store.markReplaced(old.id, record.id, oldExpiresAt);
    }
    // The cached copy carries the old expiry; drop it everywhere before answering.
    await this.#config.cache?.invalidate([old.digest]);
    // The old token's history ends "rotated"; its successor's begins "created".
    this.#config.securityEvents?.record("rotated", old, actorOf(principal), clientOf(principal));
    this.#config.securityEvents?.record("created", record, actorOf(principal), clientOf(principal));
    return ok({ id: record.id, token, previous: { id: old.id, expiresAt: oldExpiresAt.toISOString() } });
  }

  /**
   * A page of the token security log, newest first, under the token list's rules: a user sees the
   * events of their personal tokens; a team's (`teamId`) only with a role that may manage its
   * tokens; one token's (`tokenId`) only if they may manage that token, which is answered from the
   * log itself once the token is gone, so a revoked token's history stays readable.
   */
  async listEvents(
    principal: Principal,
    query: { teamId?: number; tokenId?: number; cursor?: string; limit?: number } = {},
  ): Promise<Result<ListSecurityEventsResponse>> {
    const log = this.#config.securityEvents?.log;
    if (!log) return err(new TokenGateError("not_found", { message: "This server keeps no security log" }));
    // What this instance has buffered is written first, so a caller reads their own changes (and
    // the history of a token revoked a moment ago is there to authorize against).
    await this.#config.securityEvents?.flush(false);
    let before: EventPosition | undefined;
    if (query.cursor !== undefined) {
      const position = decodeEventCursor(query.cursor);
      if (position === null)
        return err(fieldError("cursor", "cursor must be the nextCursor of a previous page"));
      before = position;
    }
    const filter: { teamId?: number; tokenId?: number; personalOf?: number } = {};
    if (query.teamId !== undefined) filter.teamId = query.teamId;
    if (query.tokenId !== undefined) filter.tokenId = query.tokenId;
    if (principal.kind === "user") {
      if (query.teamId !== undefined) {
        const allowed = await this.#mayManageTeam(principal.userId, query.teamId);
        if (!allowed.ok) return allowed;
      } else if (query.tokenId !== undefined) {
        const allowed = await this.#mayReadHistory(principal.userId, query.tokenId);
        if (!allowed.ok) return allowed;
      } else {
        const actor = await this.activeUser(principal.userId);
        if (!actor.ok) return actor;
        filter.personalOf = principal.userId;
      }
    }
    const limit = query.limit ?? DEFAULT_EVENTS_LIMIT;
    const found = await log.list({ ...filter, before, limit: limit + 1 } satisfies SecurityLogQuery);
    const page = found.slice(0, limit);
    const last = page[page.length - 1];
    return ok({
      events: page.map(toSecurityEvent),
      nextCursor: found.length > limit && last ? encodeEventCursor(last) : null,
    });
  }

  /**
   * Whether the user may read one token's history: the rule of `#findManageable` for a token that
   * exists; for one that is gone, the same rule over the team and owner its last event recorded.
   */
  async #mayReadHistory(userId: number, tokenId: number): Promise<Result<void>> {
    const found = await this.#findManageable({ kind: "user", userId }, tokenId);
    if (found.ok) return ok(undefined);
    if (found.error.code !== "not_found") return found;
    if (await this.#config.store.findById(tokenId)) return found;
    const [last] = (await this.#config.securityEvents?.log?.list({ tokenId, limit: 1 })) ?? [];
    if (!last) return err(new TokenGateError("not_found"));
    if (last.teamId === null) {
      return last.ownerUserId === userId ? ok(undefined) : err(new TokenGateError("not_found"));
    }
    const role = await this.#config.directory.findRole(last.teamId, userId);
    if (!role) return err(new TokenGateError("not_found"));
    return mayManageTeamTokens(role, this.#config.teamTokenRoles) ? ok(undefined) : cannotManageTeam();
  }

  async #mint(input: {
    name: string;
    userId: number | null;
    teamId: number | null;
    expiresAt: Date | null;
    scopes: readonly string[];
    now: Date;
  }): Promise<Result<{ record: TokenRecord; token: string }>> {
    const { digester, format, store } = this.#config;
    const token = format.generate();
    try {
      const record = await store.insert({
        name: input.name,
        digest: digester.digest(token),
        algorithm: digester.algorithm,
        userId: input.userId,
        teamId: input.teamId,
        createdAt: input.now,
        expiresAt: input.expiresAt,
        scopes: input.scopes,
      });
      return ok({ record, token });
    } catch (error) {
      // A row the database refused is the request's fault or a bug, never an outage: it must not
      // reach the router's catch-all, which answers 503 "store unavailable".
      if (!(error instanceof StoreConstraintError)) throw error;
      if (error.field !== null) return err(fieldError(error.field, error.message));
      (this.#config.logger ?? consoleLogger).error("the token store refused a new token", {
        cause: error.message,
      });
      return err(new TokenGateError("internal_error"));
    }
  }

  #checkScopes(scopes: readonly string[]): TokenGateError | null {
    const allowed = this.#config.allowedScopes;
    if (!allowed) return null;
    const unknown = scopes.filter((s) => !allowed.includes(s));
    return unknown.length ? fieldError("scopes", `unknown scope(s): ${unknown.join(", ")}`) : null;
  }

  /**
   * The signed-in user, if they may use the token lifecycle at all: unknown to the directory is
   * 401, disabled is 403. Every user call starts here, and so does the token page's session.
   */
  async activeUser(userId: number): Promise<Result<DirectoryUser>> {
    const user = await this.#config.directory.findUser(userId);
    if (!user) return err(new TokenGateError("unauthenticated"));
    if (user.disabled) return err(new TokenGateError("forbidden", { message: "Your account is disabled" }));
    return ok(user);
  }

  async #mayManageTeam(userId: number, teamId: number): Promise<Result<void>> {
    const actor = await this.activeUser(userId);
    if (!actor.ok) return actor;
    const role = await this.#config.directory.findRole(teamId, userId);
    return mayManageTeamTokens(role, this.#config.teamTokenRoles) ? ok(undefined) : cannotManageTeam();
  }

  /**
   * The token, if the principal may manage it. A token of another user, or of a team the caller
   * is not in, is "not found": ids must not reveal what exists.
   */
  async #findManageable(principal: Principal, id: number): Promise<Result<TokenRecord>> {
    const token = await this.#config.store.findById(id);
    if (principal.kind === "operator") return token ? ok(token) : err(new TokenGateError("not_found"));
    const actor = await this.activeUser(principal.userId);
    if (!actor.ok) return actor;
    if (!token) return err(new TokenGateError("not_found"));
    if (token.teamId === null) {
      return token.userId === principal.userId ? ok(token) : err(new TokenGateError("not_found"));
    }
    const role = await this.#config.directory.findRole(token.teamId, principal.userId);
    if (!role) return err(new TokenGateError("not_found"));
    return mayManageTeamTokens(role, this.#config.teamTokenRoles) ? ok(token) : cannotManageTeam();
  }
}
