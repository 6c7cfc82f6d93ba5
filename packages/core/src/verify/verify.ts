/**
 * The verify pipeline: `TokenVerifier` takes what the adapter read off a request (`CredentialInput`)
 * and answers an identity or the RFC 6750 refusal, in DESIGN.md's order. Also the ports it calls
 * (`RateLimiter`, `FailureLimiter`) and `scopeGuard`, the per-route scope check.
 *
 * Longer than most files here because the order of the checks is the contract, and it reads best
 * as one class from the header to the rate limit.
 */
import { assertRealm, authFailureAnswer, type HttpAnswer, TokenGateError } from "../errors";
import { isExpired } from "../lifecycle/expiration";
import type { UsageRecorder } from "../lifecycle/usage";
import type { ComponentHealth } from "../observability/health";
import {
  type EventToken,
  requestClientOf,
  type SecurityEventRecorder,
} from "../observability/security-events";
import type { GateTelemetry, VerifyProbe } from "../observability/telemetry";
import type { Clock } from "../ports/clock";
import { type Logger, OnceLog } from "../ports/logger";
import type { RequestHeaders } from "../ports/request-headers";
import type { AuthIdentity, CredentialLookup, ResolvedCredential } from "../ports/types";
import { type AuthorizationInput, parseCredentials } from "./authorization";
import { clientAddressFrom, type TrustedProxies } from "./client-address";
import type { TokenDigester } from "./digest";
import { holdsScopes, isScopeToken } from "./scopes";
import type { TokenFormat } from "./token-format";

/**
 * What the middleware reads off a request. Adapters build it with lazy getters: beyond the
 * credential, the verifier asks for the client's address and headers only when a failure limiter
 * or the security log needs them.
 */
export interface CredentialInput extends Partial<RequestHeaders> {
  /** Every `Authorization` value (see `authorizationFromRawHeaders`). */
  readonly authorization: AuthorizationInput;
  /** The `access_token` query value, only when the deployment allows query tokens. */
  readonly queryToken?: string | readonly string[] | null | undefined;
  /** The client's address, for limits on failed attempts. */
  readonly clientAddress?: string | undefined;
  /**
   * The request's headers by name. The verifier asks for `x-forwarded-for` (believed only when
   * `clientAddress` is a trusted proxy) and `user-agent` (recorded with a refusal in the security log).
   */
  header?(name: string): string | undefined;
}

/** The outcome of a rate-limit check: headers go on every authenticated response. */
export interface RateLimitDecision {
  readonly allowed: boolean;
  readonly headers: Readonly<Record<string, string>>;
  /** Seconds until the request would be allowed; set when `allowed` is false. */
  readonly retryAfter?: number;
}

/** Counts an authenticated request against its limits (see `@tokengate/redis`). */
export interface RateLimiter {
  consume(identity: AuthIdentity, now: Date): Promise<RateLimitDecision>;
  /** Whether its counter store answers, for `gate.health()`. */
  health?(): Promise<ComponentHealth>;
}

/** Refuses clients that keep failing authentication before their attempts reach the store. */
export interface FailureLimiter {
  /** Null when the client may try; otherwise the seconds to wait. */
  blocked(clientAddress: string, now: Date): Promise<number | null>;
  recordFailure(clientAddress: string, now: Date): Promise<void>;
  /** Whether its counter store answers, for `gate.health()`. */
  health?(): Promise<ComponentHealth>;
}

/** What a route asks of a credential beyond being valid. */
export interface VerifyRequirements {
  readonly scopes?: readonly string[] | undefined;
  /** The adapter asking (`express`, `koa`, `hono`), for telemetry only. */
  readonly framework?: string | undefined;
}

export type VerifyOutcome =
  | { readonly ok: true; readonly identity: AuthIdentity; readonly headers: Readonly<Record<string, string>> }
  | { readonly ok: false; readonly error: TokenGateError; readonly answer: HttpAnswer };

export interface VerifierConfig {
  readonly lookup: CredentialLookup;
  readonly digesters: readonly TokenDigester[];
  readonly formats: readonly TokenFormat[];
  readonly clock: Clock;
  readonly realm: string;
  readonly logger: Logger;
  readonly usage?: UsageRecorder | undefined;
  readonly limiter?: RateLimiter | undefined;
  readonly failureLimiter?: FailureLimiter | undefined;
  /** Proxies whose `X-Forwarded-For` names the client; without them the socket's peer is the client. */
  readonly trustedProxies?: TrustedProxies | undefined;
  /** Retry-After, in seconds, on a 503 when the store cannot be reached. */
  readonly unavailableRetryAfter?: number | undefined;
  /** A team token whose creator has left the team: refused (default) or accepted, as Documenso does. */
  readonly formerMemberTokens?: FormerMemberTokens | undefined;
  /** Told of refusals the security log keeps: expired, disabled owner, rate-limited. */
  readonly securityEvents?: SecurityEventRecorder | undefined;
  /** Spans and metrics per verification; undefined records nothing (`telemetry: false`). */
  readonly telemetry?: GateTelemetry | undefined;
}

/**
 * What becomes of a team token whose creator is no longer a member of its team. tokengate refuses
 * it by default; Documenso accepts it (its lookup never reads the creator's membership).
 */
export type FormerMemberTokens = "refuse" | "accept";

const NO_HEADERS: Readonly<Record<string, string>> = Object.freeze({});

/**
 * Verifies the credential of one request, in DESIGN.md's order: missing → malformed → unknown or
 * revoked → owner disabled → expired → scope (per route, `scopeGuard`) → rate limit; a store that
 * cannot be reached is a 503, never a 401 and never a pass.
 */
export class TokenVerifier {
  readonly realm: string;
  readonly #config: VerifierConfig;
  readonly #storeLog: OnceLog;
  readonly #limiterLog: OnceLog;
  readonly #failureLimiterLog: OnceLog;
  readonly #failureRecordLog: OnceLog;
  readonly #answers = new Map<string, { error: TokenGateError; answer: HttpAnswer }>();

  constructor(config: VerifierConfig) {
    if (config.digesters.length === 0) throw new TypeError("at least one digester is required");
    if (config.formats.length === 0) throw new TypeError("at least one token format is required");
    this.realm = assertRealm(config.realm);
    this.#config = config;
    this.#storeLog = new OnceLog(config.logger, "token store");
    this.#limiterLog = new OnceLog(config.logger, "rate limiter");
    this.#failureLimiterLog = new OnceLog(config.logger, "failure limiter");
    // Its own log: a limiter that answers reads but loses writes would otherwise flap one log.
    this.#failureRecordLog = new OnceLog(config.logger, "failure limiter (recording failures)");
  }

  /**
   * The fixed failures are built once: their answers never change for one code and message (or,
   * for `insufficient_scope`, one list of required scopes).
   */
  #fail(code: TokenGateError["code"], message?: string, scopes?: readonly string[]): VerifyOutcome {
    const detail = message ?? scopes?.join(" ");
    const key = detail === undefined ? code : `${code}\0${detail}`;
    let cached = this.#answers.get(key);
    if (!cached) {
      const error = new TokenGateError(
        code,
        message !== undefined ? { message } : scopes !== undefined ? { scopes } : {},
      );
      cached = { error, answer: authFailureAnswer(error, this.realm) };
      this.#answers.set(key, cached);
    }
    return { ok: false, ...cached };
  }

  #failWith(error: TokenGateError): VerifyOutcome {
    return { ok: false, error, answer: authFailureAnswer(error, this.realm) };
  }

  /** Tells the security log of a refusal it keeps, with the client the request names. */
  #refused(
    type: Parameters<SecurityEventRecorder["refusedOnUse"]>[0],
    token: EventToken,
    actorUserId: number,
    input: CredentialInput,
    now: Date,
  ): void {
    this.#config.securityEvents?.refusedOnUse(
      type,
      token,
      actorUserId,
      requestClientOf(input.clientAddress, input),
      now,
    );
  }

  /**
   * @param requirements scopes the route needs: checked before the rate limit (DESIGN.md order),
   *   so a token refused for scope spends none of its budget.
   *
   * Not an `async` function on purpose: a credential the cache holds in memory (`peek`) is judged
   * without a single await, and the one promise returned is already settled.
   */
  verify(input: CredentialInput, requirements: VerifyRequirements = {}): Promise<VerifyOutcome> {
    // With no SDK registered there is no probe: the request runs as if telemetry were off.
    const probe = this.#config.telemetry?.startVerify(requirements.framework);
    if (probe === undefined) return this.#verify(input, requirements, undefined);
    return this.#verify(input, requirements, probe).then(probe.end);
  }

  #verify(
    input: CredentialInput,
    requirements: VerifyRequirements,
    probe: VerifyProbe | undefined,
  ): Promise<VerifyOutcome> {
    const parsed = parseCredentials(input.authorization, input.queryToken);
    if (parsed.kind === "none") return Promise.resolve(this.#fail("missing_credentials"));
    if (parsed.kind === "malformed") return Promise.resolve(this.#fail("invalid_request", parsed.reason));

    const now = this.#config.clock();
    if (this.#config.failureLimiter) {
      const address = clientAddressFrom(
        input.clientAddress,
        input.header?.("x-forwarded-for"),
        this.#config.trustedProxies,
      );
      if (address !== undefined) {
        return this.#verifyLimitingFailures(
          this.#config.failureLimiter,
          address,
          parsed.token,
          now,
          requirements,
          input,
          probe,
        );
      }
    }
    return this.#check(parsed.token, now, requirements.scopes, input, probe);
  }

  async #verifyLimitingFailures(
    failureLimiter: FailureLimiter,
    address: string,
    token: string,
    now: Date,
    requirements: VerifyRequirements,
    input: CredentialInput,
    probe: VerifyProbe | undefined,
  ): Promise<VerifyOutcome> {
    let wait: number | null;
    try {
      wait = await failureLimiter.blocked(address, now);
      this.#failureLimiterLog.recover();
    } catch (cause) {
      this.#failureLimiterLog.fail(cause);
      // The limiter's store is down and its policy is to fail closed: a server fault, so 503.
      return this.#failWith(new TokenGateError("store_unavailable", { cause, retryAfter: 1 }));
    }
    if (wait !== null) {
      return this.#failWith(
        new TokenGateError("rate_limited", { message: "Too many failed attempts", retryAfter: wait }),
      );
    }

    const outcome = await this.#check(token, now, requirements.scopes, input, probe);
    if (!outcome.ok && outcome.error.status === 401) {
      try {
        await failureLimiter.recordFailure(address, now);
        this.#failureRecordLog.recover();
      } catch (cause) {
        // The request is refused either way: a count that could not be written must not turn
        // its 401 into an exception (a 500, or an unhandled rejection in a bare adapter).
        this.#failureRecordLog.fail(cause);
      }
    }
    return outcome;
  }

  #check(
    token: string,
    now: Date,
    scopes: readonly string[] | undefined,
    input: CredentialInput,
    probe?: VerifyProbe,
  ): Promise<VerifyOutcome> {
    const { formats, digesters, lookup } = this.#config;
    // The shape check refuses garbage before any hashing or I/O.
    let shaped = false;
    for (const format of formats) {
      if (format.matches(token)) {
        shaped = true;
        break;
      }
    }
    if (!shaped) return Promise.resolve(this.#fail("invalid_token"));

    for (let i = 0; i < digesters.length; i++) {
      const digest = digesters[i]!.digest(token);
      const held = lookup.peek?.(digest);
      // Not held in memory: this digester and the rest go to the lookup, which may do I/O.
      if (held === undefined) return this.#lookupFrom(token, i, digest, now, scopes, input, probe);
      if (probe) probe.tier = "memory";
      if (held !== null) {
        if (probe) probe.tokenId = held.token.id;
        return this.#admit(held, now, scopes, input);
      }
    }
    return Promise.resolve(this.#fail("invalid_token"));
  }

  async #lookupFrom(
    token: string,
    first: number,
    firstDigest: string,
    now: Date,
    scopes: readonly string[] | undefined,
    input: CredentialInput,
    probe?: VerifyProbe,
  ): Promise<VerifyOutcome> {
    const { digesters, lookup } = this.#config;
    let credential: ResolvedCredential | null = null;
    try {
      credential = await lookup.lookup(firstDigest, probe);
      for (let i = first + 1; !credential && i < digesters.length; i++) {
        credential = await lookup.lookup(digesters[i]!.digest(token), probe);
      }
      // A lookup that does not report its tier is the store itself (no cache).
      if (probe) {
        probe.tier ??= "store";
        if (credential) probe.tokenId = credential.token.id;
      }
      this.#storeLog.recover();
    } catch (cause) {
      this.#storeLog.fail(cause);
      return this.#failWith(
        new TokenGateError("store_unavailable", {
          cause,
          retryAfter: this.#config.unavailableRetryAfter ?? 5,
        }),
      );
    }
    if (!credential) return this.#fail("invalid_token");
    return this.#admit(credential, now, scopes, input);
  }

  /** Judges a found credential: owner, team, expiry, scopes (all in memory), then the rate limit. */
  #admit(
    credential: ResolvedCredential,
    now: Date,
    scopes: readonly string[] | undefined,
    input: CredentialInput,
  ): Promise<VerifyOutcome> {
    const { token: record, actingUser, team, teamOwner, role } = credential;
    if (!actingUser) return Promise.resolve(this.#fail("invalid_token"));
    if (record.teamId !== null) {
      // The team is gone, or the creator has left it: the token no longer speaks for the team
      // (unless the deployment keeps Documenso's rule, which never looks at the membership).
      if (!team) return Promise.resolve(this.#fail("invalid_token"));
      if (record.userId !== null && role === null && this.#config.formerMemberTokens !== "accept") {
        return Promise.resolve(this.#fail("invalid_token"));
      }
    }
    if (actingUser.disabled || teamOwner?.disabled) {
      this.#refused("refused_disabled_owner", record, actingUser.id, input, now);
      return Promise.resolve(this.#fail("owner_disabled"));
    }
    if (isExpired(record.expiresAt, now)) {
      this.#refused("expired_on_use", record, actingUser.id, input, now);
      return Promise.resolve(this.#fail("token_expired"));
    }

    const identity: AuthIdentity = {
      tokenId: record.id,
      tokenName: record.name,
      userId: actingUser.id,
      teamId: record.teamId,
      scopes: record.scopes,
      expiresAt: record.expiresAt,
      user: actingUser,
      team,
    };

    if (scopes && !holdsScopes(identity.scopes, scopes)) {
      return Promise.resolve(this.#fail("insufficient_scope", undefined, scopes));
    }

    const { limiter } = this.#config;
    if (limiter) return this.#limit(limiter, identity, now, input);
    this.#config.usage?.touch(record.id, now);
    return Promise.resolve({ ok: true, identity, headers: NO_HEADERS });
  }

  async #limit(
    limiter: RateLimiter,
    identity: AuthIdentity,
    now: Date,
    input: CredentialInput,
  ): Promise<VerifyOutcome> {
    let decision: RateLimitDecision;
    try {
      decision = await limiter.consume(identity, now);
      this.#limiterLog.recover();
    } catch (cause) {
      // Every request is refused while the limiter is down: say so once, not per request.
      this.#limiterLog.fail(cause);
      return this.#failWith(new TokenGateError("store_unavailable", { cause, retryAfter: 1 }));
    }
    if (!decision.allowed) {
      const token = {
        id: identity.tokenId,
        name: identity.tokenName,
        teamId: identity.teamId,
        userId: identity.userId,
      };
      this.#refused("rate_limited", token, identity.userId, input, now);
      const error = new TokenGateError("rate_limited", { retryAfter: decision.retryAfter ?? 1 });
      const answer = authFailureAnswer(error, this.realm);
      return {
        ok: false,
        error,
        answer: { ...answer, headers: { ...decision.headers, ...answer.headers } },
      };
    }
    this.#config.usage?.touch(identity.tokenId, now);
    return { ok: true, identity, headers: decision.headers };
  }
}

/**
 * A per-route requirement: the identity must hold every scope in `required`. Build it once per
 * route; it answers 403 `insufficient_scope` with the RFC 6750 `scope` attribute.
 */
export function scopeGuard(
  required: readonly string[],
  realm: string,
): (identity: AuthIdentity) => HttpAnswer | null {
  if (required.length === 0) throw new TypeError("scopeGuard needs at least one scope");
  for (const scope of required) {
    if (!isScopeToken(scope)) throw new TypeError(`invalid scope name: ${JSON.stringify(scope)}`);
  }
  const answer = authFailureAnswer(
    new TokenGateError("insufficient_scope", { scopes: required }),
    assertRealm(realm),
  );
  return (identity) => (holdsScopes(identity.scopes, required) ? null : answer);
}
