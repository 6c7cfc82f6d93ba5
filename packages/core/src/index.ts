/**
 * `@tokengate/core`: API-token authentication for Node.js HTTP servers, with no framework in it.
 * The exports are grouped as the source folders are, so this file reads as the architecture: the
 * gate that wires everything, verifying a request, the token lifecycle, the admin router, the
 * ports an application or another package implements, the in-memory implementations, and
 * observability. `@tokengate/express`, `@tokengate/koa` and `@tokengate/hono` translate between
 * their framework and these.
 */

// Admin: the token-admin router and its page, framework-free; adapters only read the request in and write the answer out.
export {
  ADMIN_BODY_LIMIT,
  ADMIN_BODY_TIMEOUT_MS,
  ADMIN_ROUTES,
  type AdminBody,
  type AdminCall,
  type AdminOperation,
  type AdminRoute,
  type AdminRouterSettings,
  adminBodyTimeout,
  checkAdminRouterOptions,
  matchAdminRoute,
  TokenAdmin,
} from "./admin/admin";
export {
  type CrossSitePolicy,
  isCrossOriginRequest,
  type RequestOrigin,
  TrustedOrigins,
} from "./admin/cross-site";
export { readNodeBody, readWebBody } from "./admin/node-body";
export { type AdminOpenApiOptions, adminOpenApiDocument } from "./admin/openapi";
export type { AdminPageFiles, AdminSession } from "./admin/page-answers";
export { type AdminRequestFacts, fetchRequestOrigin, nodeRequestOrigin } from "./admin/request-origin";
// Errors and results, shared by every layer: one error family, its HTTP answers, expected failures as values.
export {
  type AdminErrorCode,
  type AuthErrorCode,
  adminFailureAnswer,
  assertRealm,
  authFailureAnswer,
  bearerChallenge,
  type FieldIssue,
  type HttpAnswer,
  jsonAnswer,
  StoreConstraintError,
  TokenGateError,
  type TokenGateErrorCode,
} from "./errors";
// The gate: every option checked once, every part below wired together.
export { createTokenGate, isTokenGate, type TokenGate, type TokenGateOptions } from "./gate";
// Implementations: the ports in process memory, for tests and single-process servers.
export { MemoryDirectory, MemoryTokenStore } from "./implementations/memory";
export { MemorySecurityLog } from "./implementations/memory-security-log";
// Lifecycle: create, list, rotate and revoke tokens, with the request and response bodies they take.
export { EXPIRATION_PRESETS, type ExpirationPreset, resolveExpiration } from "./lifecycle/expiration";
export {
  AdminSessionSchema,
  ApiTokenStatusSchema,
  type ApiTokenSummary,
  ApiTokenSummarySchema,
  type CreateApiTokenRequest,
  CreateApiTokenRequestSchema,
  type CreateApiTokenResponse,
  CreateApiTokenResponseSchema,
  ErrorResponseSchema,
  ExpirationDateSchema,
  ListApiTokensQuerySchema,
  type ListApiTokensResponse,
  ListApiTokensResponseSchema,
  ListSecurityEventsQuerySchema,
  type ListSecurityEventsResponse,
  ListSecurityEventsResponseSchema,
  MAX_GRACE_SECONDS,
  MAX_ID,
  parseId,
  type RotateApiTokenRequest,
  RotateApiTokenRequestSchema,
  type RotateApiTokenResponse,
  RotateApiTokenResponseSchema,
  ScopeSchema,
  SECURITY_EVENT_TYPES,
  type SecurityEvent,
  SecurityEventSchema,
  type SecurityEventType,
  SecurityEventTypeSchema,
  TeamIdSchema,
  TOKEN_NAME_MAX,
  TOKEN_NAME_MIN,
  TokenIdParamSchema,
  TokenNameSchema,
} from "./lifecycle/schemas";
export { DEFAULT_EVENTS_LIMIT, TokenService, type TokenServiceConfig } from "./lifecycle/service";
export {
  BatchedUsageRecorder,
  type TokenUsageCounts,
  type UsageReader,
  type UsageRecorder,
} from "./lifecycle/usage";
export { fieldError, fieldIssues, parseOrFail } from "./lifecycle/validation";
// Observability: health checks, OpenTelemetry, and the token security log's recorder.
export {
  type CacheHealth,
  type ComponentHealth,
  type GateHealth,
  type HealthStatus,
  isReady,
  livenessAnswer,
  readinessAnswer,
  UP,
} from "./observability/health";
export {
  DEFAULT_RETENTION_DAYS,
  type EventToken,
  type RequestClient,
  type SecurityEventHook,
  SecurityEventRecorder,
  type SecurityEventRecorderOptions,
} from "./observability/security-events";
export {
  ATTR as TELEMETRY_ATTRIBUTES,
  GateTelemetry,
  type TelemetryOptions,
} from "./observability/telemetry";
// Ports: what the core asks of the application and of the other packages (stores, directory,
// cache, cache invalidation, clock, logger, security log, request headers).
export { type Clock, systemClock } from "./ports/clock";
export {
  assertFirstAttach,
  type DataVersionSource,
  type InvalidationMessage,
  type InvalidationSink,
  type InvalidationTransport,
} from "./ports/invalidation";
export { consoleLogger, describeCause, type Logger, OnceLog, silentLogger } from "./ports/logger";
export type { RequestHeaders } from "./ports/request-headers";
export {
  decodeEventCursor,
  type EventPosition,
  encodeEventCursor,
  type SecurityLog,
  type SecurityLogEntry,
  type SecurityLogQuery,
  type StoredSecurityEvent,
  toSecurityEvent,
} from "./ports/security-log";
export {
  SECURITY_EVENT_COLUMNS,
  SECURITY_EVENT_INSERT_COLUMNS,
  type SecurityEventRow,
  securityEventFromRow,
  securityEventValues,
} from "./ports/security-log-rows";
export { isStoreInputFault } from "./ports/store-fault";
export {
  type AuthIdentity,
  type CacheObserver,
  type CacheTier,
  type CredentialCache,
  type CredentialCacheFactory,
  type CredentialLookup,
  type CredentialReader,
  type CredentialRows,
  type Directory,
  type DirectoryTeam,
  type DirectoryUser,
  DuplicateDigestError,
  type LookupReport,
  type NewTokenRecord,
  type Principal,
  type ResolvedCredential,
  type TeamRole,
  type TokenRecord,
  type TokenStore,
} from "./ports/types";
export { err, ok, type Result } from "./result";
// Verify: from a request's credential to an identity, or the RFC 6750 answer.
export {
  type AuthorizationInput,
  accessTokensFromUrl,
  authorizationFromRawHeaders,
  type CredentialParse,
  parseCredentials,
} from "./verify/authorization";
export { clientAddressFrom, TrustedProxies } from "./verify/client-address";
export { hmacDigester, sha512Digester, type TokenDigester } from "./verify/digest";
export { storeLookup } from "./verify/lookup";
export {
  type Actor,
  type AuthDecision,
  createAuthDecider,
  type MiddlewareOptions,
  queryTokenInput,
} from "./verify/middleware";
export { NodeCredentialInput } from "./verify/node-credential-input";
export {
  checksumTokenFormat,
  documensoTokenFormat,
  randomString,
  type TokenFormat,
} from "./verify/token-format";
export {
  type CredentialInput,
  type FailureLimiter,
  type FormerMemberTokens,
  type RateLimitDecision,
  type RateLimiter,
  scopeGuard,
  TokenVerifier,
  type VerifierConfig,
  type VerifyOutcome,
  type VerifyRequirements,
} from "./verify/verify";
