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
} from "./admin";
export {
  type AdminPageFiles,
  type AdminSession,
  type CrossSitePolicy,
  isCrossOriginRequest,
  type RequestOrigin,
  TrustedOrigins,
} from "./admin-page";
export {
  type AuthorizationInput,
  accessTokensFromUrl,
  authorizationFromRawHeaders,
  type CredentialParse,
  parseCredentials,
} from "./authorization";
export { clientAddressFrom, TrustedProxies } from "./client-address";
export { type Clock, systemClock } from "./clock";
export { hmacDigester, sha512Digester, type TokenDigester } from "./digest";
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
export { EXPIRATION_PRESETS, type ExpirationPreset, resolveExpiration } from "./expiration";
export { createTokenGate, isTokenGate, type TokenGate, type TokenGateOptions } from "./gate";
export {
  type CacheHealth,
  type ComponentHealth,
  type GateHealth,
  type HealthStatus,
  isReady,
  livenessAnswer,
  readinessAnswer,
  UP,
} from "./health";
export { consoleLogger, describeCause, type Logger, OnceLog, silentLogger } from "./logger";
export { storeLookup } from "./lookup";
export { MemoryDirectory, MemoryTokenStore } from "./memory";
export {
  type Actor,
  type AuthDecision,
  createAuthDecider,
  type MiddlewareOptions,
  queryTokenInput,
} from "./middleware";
export { readNodeBody, readWebBody } from "./node-body";
export { type AdminOpenApiOptions, adminOpenApiDocument } from "./openapi";
export {
  type AdminRequestFacts,
  fetchRequestOrigin,
  nodeRequestOrigin,
  type RequestHeaders,
} from "./request-origin";
export { err, ok, type Result } from "./result";
export * from "./schemas";
export {
  DEFAULT_RETENTION_DAYS,
  type EventToken,
  type RequestClient,
  type SecurityEventHook,
  SecurityEventRecorder,
  type SecurityEventRecorderOptions,
} from "./security-events";
export {
  decodeEventCursor,
  type EventPosition,
  encodeEventCursor,
  MemorySecurityLog,
  type SecurityLog,
  type SecurityLogEntry,
  type SecurityLogQuery,
  type StoredSecurityEvent,
  toSecurityEvent,
} from "./security-log";
export { DEFAULT_EVENTS_LIMIT, TokenService, type TokenServiceConfig } from "./service";
export { isStoreInputFault } from "./store-fault";
export { ATTR as TELEMETRY_ATTRIBUTES, GateTelemetry, type TelemetryOptions } from "./telemetry";
export { checksumTokenFormat, documensoTokenFormat, randomString, type TokenFormat } from "./token-format";
export type * from "./types";
export { DuplicateDigestError } from "./types";
export {
  BatchedUsageRecorder,
  type TokenUsageCounts,
  type UsageReader,
  type UsageRecorder,
} from "./usage";
export { fieldError, fieldIssues, parseOrFail } from "./validation";
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
} from "./verify";
