/**
 * The composition root: `createTokenGate` checks every option once and wires the verifier, the
 * token service, the admin router, the cache, the security log and telemetry from them. The
 * framework adapters take a gate (or its options) and nothing else.
 */
import { TokenAdmin } from "./admin/admin";
import { TrustedOrigins } from "./admin/cross-site";
import { assertRealm } from "./errors";
import { MemorySecurityLog } from "./implementations/memory-security-log";
import { TokenService } from "./lifecycle/service";
import { BatchedUsageRecorder, type UsageReader, type UsageRecorder } from "./lifecycle/usage";
import { type GateHealth, gateHealth } from "./observability/health";
import { type SecurityEventHook, SecurityEventRecorder } from "./observability/security-events";
import { GateTelemetry, type TelemetryOptions } from "./observability/telemetry";
import { type Clock, systemClock } from "./ports/clock";
import { consoleLogger, type Logger } from "./ports/logger";
import type { SecurityLog } from "./ports/security-log";
import type {
  CredentialCache,
  CredentialCacheFactory,
  CredentialLookup,
  Directory,
  TeamRole,
  TokenStore,
} from "./ports/types";
import { TrustedProxies } from "./verify/client-address";
import { sha512Digester, type TokenDigester } from "./verify/digest";
import { storeLookup } from "./verify/lookup";
import { documensoTokenFormat, type TokenFormat } from "./verify/token-format";
import {
  type FailureLimiter,
  type FormerMemberTokens,
  type RateLimiter,
  TokenVerifier,
} from "./verify/verify";

export interface TokenGateOptions {
  /** The system of record: memory, SQLite (`@tokengate/sqlite`) or PostgreSQL (`@tokengate/postgres`). */
  store: TokenStore;
  /** Answers who users are, whether they are disabled, and their roles in teams. */
  directory: Directory;
  /** A cache in front of the store, e.g. `tieredCache()` from `@tokengate/cache` (Redis as its shared tier: `redisTier`). */
  cache?: CredentialCacheFactory;
  /** Digesters; the first digests new tokens, all are tried on lookup. Default: SHA-512 (Documenso's). */
  digesters?: readonly TokenDigester[];
  /** Token formats; the first mints new tokens, all are accepted. Default: Documenso's `api_…`. */
  formats?: readonly TokenFormat[];
  /** The realm in every `WWW-Authenticate` challenge. Default "api". */
  realm?: string;
  clock?: Clock;
  logger?: Logger;
  /**
   * Roles that may manage a team's tokens. Default: the directory's own rule where it has one
   * (Documenso's: ADMIN and MANAGER), else ["ADMIN"]; add "MANAGER" to let managers too.
   */
  teamTokenRoles?: readonly TeamRole[];
  /**
   * A team token whose creator is no longer a member of its team: `"refuse"` (the default) answers
   * 401 invalid_token, so removing someone from a team ends their tokens there; `"accept"` lets the
   * token keep acting as its creator in the team, as Documenso does.
   */
  formerMemberTokens?: FormerMemberTokens;
  /** When set, the only scopes a token may be given. */
  allowedScopes?: readonly string[];
  /** Accept `?access_token=` (RFC 6750 §2.3). Off by default: query strings end up in logs. */
  allowQueryToken?: boolean;
  /** How often last-used times are written, in ms; `false` turns tracking off. Default 5000. */
  usageFlushIntervalMs?: number | false;
  /** Per-token and per-team limits (`@tokengate/redis`). */
  rateLimiter?: RateLimiter;
  /** Limits failed attempts per client address. */
  failureLimiter?: FailureLimiter;
  /**
   * Proxies (addresses or CIDR ranges) whose `X-Forwarded-For` names the client. Without them the
   * client is the socket's peer, so a client cannot pick the address its failures count against.
   */
  trustedProxies?: readonly string[];
  /**
   * Origins (`https://admin.example.com`) whose pages may call the admin router, besides the
   * server's own. The admin router refuses a state-changing browser request whose `Origin` is
   * neither; its own origin is the connection's scheme and Host, or what a trusted proxy's
   * `X-Forwarded-Proto` and `X-Forwarded-Host` say.
   */
  trustedOrigins?: readonly string[];
  /** Per-token usage counts shown in the admin list, e.g. the `TokenRateLimiter`. */
  usageReader?: UsageReader;
  /**
   * Where the token security log is kept (created, rotated, revoked, and refusals of expired,
   * disabled-owner and rate-limited tokens). Default: a `MemorySecurityLog`, bounded and lost on
   * restart; pass the store's (`SqliteSecurityLog`, `PostgresSecurityLog`) to keep it, or `false`
   * to keep none.
   */
  securityLog?: SecurityLog | false;
  /** Security log entries older than this many days are pruned. Default 90. */
  securityLogRetentionDays?: number;
  /**
   * Called with every security event once it is written, to forward it elsewhere (a SIEM, a
   * queue). Off the request path; an error it throws or rejects with is logged once, never
   * answered to a client.
   */
  onEvent?: SecurityEventHook;
  /**
   * OpenTelemetry spans and metrics (see `telemetry.ts`), through the global providers unless
   * others are given here. With no SDK registered they cost next to nothing; `false` turns them off.
   */
  telemetry?: TelemetryOptions | false;
}

/** The assembled suite: one verifier for the middlewares, one service and admin for the routers. */
export interface TokenGate {
  readonly verifier: TokenVerifier;
  readonly service: TokenService;
  readonly admin: TokenAdmin;
  readonly store: TokenStore;
  readonly directory: Directory;
  readonly cache: CredentialCache | undefined;
  readonly realm: string;
  readonly allowQueryToken: boolean;
  /** The token security log's writer; `securityEvents.log` is where it keeps events. */
  readonly securityEvents: SecurityEventRecorder;
  /**
   * Call after changing the directory (a user disabled, a member removed): every cached credential
   * is dropped on every instance, so the change holds on the next request.
   */
  directoryChanged(): Promise<void>;
  /** Whether the store, cache, invalidation channel and limiters work, each with the reason if not. */
  health(): Promise<GateHealth>;
  /** Writes pending last-used times and security events, and closes the cache. Call on shutdown. */
  close(): Promise<void>;
}

const ROLES: readonly TeamRole[] = ["ADMIN", "MANAGER", "MEMBER"];
const GATE = Symbol.for("tokengate.gate");

/**
 * Assembles tokengate from a store and a directory. Options are checked here, once.
 *
 * @example
 * const gate = createTokenGate({ store: new MemoryTokenStore(), directory: new MemoryDirectory() });
 * app.use(tokengate(gate));
 */
export function createTokenGate(options: TokenGateOptions): TokenGate {
  if (!options || typeof options !== "object") throw new TypeError("createTokenGate: options are required");
  const { store, directory } = options;
  if (!store || typeof store.findByDigest !== "function")
    throw new TypeError("createTokenGate: `store` must be a TokenStore");
  if (!directory || typeof directory.findUser !== "function") {
    throw new TypeError("createTokenGate: `directory` must be a Directory");
  }
  const realm = assertRealm(options.realm ?? "api");
  const digesters = options.digesters ?? [sha512Digester];
  const formats = options.formats ?? [documensoTokenFormat];
  const teamTokenRoles = options.teamTokenRoles ?? directory.teamTokenRoles ?? ["ADMIN"];
  for (const role of teamTokenRoles) {
    if (!ROLES.includes(role))
      throw new TypeError(`createTokenGate: unknown role in teamTokenRoles: ${String(role)}`);
  }
  const formerMemberTokens = options.formerMemberTokens ?? "refuse";
  if (formerMemberTokens !== "refuse" && formerMemberTokens !== "accept") {
    throw new TypeError('createTokenGate: formerMemberTokens must be "refuse" or "accept"');
  }
  const clock = options.clock ?? systemClock;
  const logger = options.logger ?? consoleLogger;
  // The admin router's cross-site check believes the same proxies as the client-address check.
  const trustedProxies = options.trustedProxies ? new TrustedProxies(options.trustedProxies) : undefined;
  const crossSite = {
    trustedProxies,
    trustedOrigins: options.trustedOrigins ? new TrustedOrigins(options.trustedOrigins) : undefined,
  };

  if (
    options.telemetry !== undefined &&
    options.telemetry !== false &&
    typeof options.telemetry !== "object"
  ) {
    throw new TypeError("createTokenGate: telemetry must be an object of providers, or false");
  }
  const telemetry = options.telemetry === false ? undefined : new GateTelemetry(options.telemetry);

  const source = storeLookup(store, directory);
  const cache = options.cache?.(source, telemetry);
  const lookup: CredentialLookup = cache ?? source;
  const usage: UsageRecorder | undefined =
    options.usageFlushIntervalMs === false
      ? undefined
      : new BatchedUsageRecorder(store, { intervalMs: options.usageFlushIntervalMs ?? 5_000, logger });

  const securityLog = options.securityLog ?? new MemorySecurityLog();
  if (
    securityLog !== false &&
    (typeof securityLog !== "object" || typeof securityLog.append !== "function")
  ) {
    throw new TypeError("createTokenGate: `securityLog` must be a SecurityLog or false");
  }
  const securityEvents = new SecurityEventRecorder({
    log: securityLog === false ? undefined : securityLog,
    clock,
    logger,
    onEvent: options.onEvent,
    trustedProxies,
    retentionDays: options.securityLogRetentionDays,
  });

  const verifier = new TokenVerifier({
    lookup,
    digesters,
    formats,
    clock,
    realm,
    logger,
    usage,
    limiter: options.rateLimiter,
    failureLimiter: options.failureLimiter,
    trustedProxies,
    formerMemberTokens,
    securityEvents,
    telemetry,
  });
  const service = new TokenService({
    store,
    directory,
    digester: digesters[0]!,
    format: formats[0]!,
    clock,
    cache,
    teamTokenRoles,
    allowedScopes: options.allowedScopes,
    usageReader: options.usageReader,
    logger,
    securityEvents,
  });
  const limiters = [options.rateLimiter, options.failureLimiter];
  const health = () => gateHealth(store, cache, limiters);
  telemetry?.observeHealth(async () => {
    const now = await health();
    const redis = cache?.health?.().redis;
    return { store: now.components.store.status === "up", redis: redis && redis.status === "up" };
  });
  return {
    [GATE]: true,
    verifier,
    service,
    admin: new TokenAdmin(service, { directory, teamTokenRoles }, crossSite, telemetry),
    store,
    directory,
    cache,
    realm,
    allowQueryToken: options.allowQueryToken ?? false,
    securityEvents,
    async directoryChanged() {
      await cache?.invalidateAll();
    },
    health,
    async close() {
      telemetry?.close();
      await usage?.close();
      await securityEvents.close();
      await cache?.close?.();
    },
  } as TokenGate;
}

/** True for what `createTokenGate` returned, so adapters accept a gate or options alike. */
export function isTokenGate(value: unknown): value is TokenGate {
  return typeof value === "object" && value !== null && (value as Record<symbol, unknown>)[GATE] === true;
}
