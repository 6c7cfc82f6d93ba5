/**
 * One error family with a stable `code`, so callers `switch (err.code)`. Messages never contain a
 * token or a digest: they are written here, not built from input.
 */

export type AuthErrorCode =
  | "missing_credentials"
  | "invalid_request"
  | "invalid_token"
  | "owner_disabled"
  | "token_expired"
  | "insufficient_scope"
  | "rate_limited"
  | "store_unavailable";

export type AdminErrorCode =
  | "unauthenticated"
  | "forbidden"
  | "csrf_rejected"
  | "request_timeout"
  | "not_found"
  | "validation_failed"
  | "invalid_json"
  | "unsupported_content_type"
  | "payload_too_large"
  | "internal_error";

export type TokenGateErrorCode = AuthErrorCode | AdminErrorCode;

const STATUS: Record<TokenGateErrorCode, number> = {
  missing_credentials: 401,
  invalid_request: 400,
  invalid_token: 401,
  owner_disabled: 401,
  token_expired: 401,
  insufficient_scope: 403,
  rate_limited: 429,
  store_unavailable: 503,
  unauthenticated: 401,
  forbidden: 403,
  csrf_rejected: 403,
  request_timeout: 408,
  not_found: 404,
  validation_failed: 400,
  invalid_json: 400,
  unsupported_content_type: 400,
  payload_too_large: 413,
  internal_error: 500,
};

const DEFAULT_MESSAGE: Record<TokenGateErrorCode, string> = {
  missing_credentials: "Authentication is required: send `Authorization: Bearer <token>`",
  invalid_request: "The request is malformed",
  invalid_token: "The access token is invalid",
  owner_disabled: "The access token's owner is disabled",
  token_expired: "The access token expired",
  insufficient_scope: "The access token lacks a required scope",
  rate_limited: "Too many requests",
  store_unavailable: "Authentication is temporarily unavailable",
  unauthenticated: "Sign in to manage API tokens",
  forbidden: "You are not allowed to do that",
  csrf_rejected: "Refused: the request came from another site. Send it from the same origin as this server",
  request_timeout: "The request body did not arrive in time",
  not_found: "No such token",
  validation_failed: "The request body is invalid",
  invalid_json: "The request body is not valid JSON",
  unsupported_content_type: "Send the request body as application/json",
  payload_too_large: "The request body is too large",
  internal_error: "The server could not complete the request; the cause is in its log",
};

/** A field that failed validation: `field` is a dotted path into the request body or query. */
export interface FieldIssue {
  readonly field: string;
  readonly message: string;
}

export interface TokenGateErrorDetails {
  message?: string;
  cause?: unknown;
  /** For `insufficient_scope`: the scopes the route requires. */
  scopes?: readonly string[];
  /** For `validation_failed`. */
  issues?: readonly FieldIssue[];
  /** For `rate_limited` and `store_unavailable`: seconds until a retry may succeed. */
  retryAfter?: number;
}

export class TokenGateError extends Error {
  readonly code: TokenGateErrorCode;
  readonly status: number;
  readonly scopes: readonly string[] | undefined;
  readonly issues: readonly FieldIssue[] | undefined;
  readonly retryAfter: number | undefined;

  constructor(code: TokenGateErrorCode, details: TokenGateErrorDetails = {}) {
    super(
      details.message ?? DEFAULT_MESSAGE[code],
      details.cause === undefined ? undefined : { cause: details.cause },
    );
    this.name = "TokenGateError";
    this.code = code;
    this.status = STATUS[code];
    this.scopes = details.scopes;
    this.issues = details.issues;
    this.retryAfter = details.retryAfter;
  }
}

/**
 * Thrown by `TokenStore.insert` when the database refused the row for a reason other than a
 * duplicate digest: a NOT NULL, foreign-key or check constraint. `field` names the token field at
 * fault when the store can tell (`teamId`: no such team, or no team to hold a personal token), and
 * the service answers 400 naming it; `null` means the store cannot tell, a bug, answered 500.
 *
 * It never carries the driver's error: PostgreSQL's `detail` for a NOT NULL violation quotes the
 * whole row, digest included.
 */
export class StoreConstraintError extends Error {
  override readonly name = "StoreConstraintError";
  readonly field: string | null;

  /** @param message written by the store, never built from the row's values. */
  constructor(field: string | null, message: string) {
    super(message);
    this.field = field;
  }
}

/** A ready HTTP answer. Adapters write it back as is: status, every header, the JSON body. */
export interface HttpAnswer {
  readonly status: number;
  readonly headers: Readonly<Record<string, string>>;
  /** Serialised JSON, or undefined for an empty body (204). */
  readonly body: string | undefined;
}

// RFC 6750 §3: error_description and scope use %x20-21 / %x23-5B / %x5D-7E (no `"` or `\`).
const QUOTABLE = /^[\x20\x21\x23-\x5B\x5D-\x7E]*$/;

/** Checks a realm once, when options are read, so every challenge built from it is valid. */
export function assertRealm(realm: string): string {
  if (!QUOTABLE.test(realm)) {
    throw new TypeError('realm must be printable ASCII without `"` or `\\`');
  }
  return realm;
}

const BEARER_ERROR: Partial<Record<TokenGateErrorCode, string>> = {
  invalid_request: "invalid_request",
  invalid_token: "invalid_token",
  owner_disabled: "invalid_token",
  token_expired: "invalid_token",
  insufficient_scope: "insufficient_scope",
};

/** The RFC 6750 §3 challenge for a failure of the authentication middleware. */
export function bearerChallenge(realm: string, error: TokenGateError): string {
  let challenge = `Bearer realm="${realm}"`;
  const code = BEARER_ERROR[error.code];
  if (code) {
    challenge += `, error="${code}"`;
    if (error.code === "token_expired") challenge += `, error_description="The access token expired"`;
    if (error.code === "insufficient_scope" && error.scopes?.length) {
      challenge += `, scope="${error.scopes.join(" ")}"`;
    }
  }
  return challenge;
}

const JSON_TYPE = "application/json; charset=utf-8";

// RFC 9110 §10.2.3: delay-seconds is 1*DIGIT, so never negative and never a fraction.
const retryAfterSeconds = (seconds: number) => String(Math.max(0, Math.ceil(seconds)));

/** The JSON body every failure carries: `{ error, message }`, plus `issues` for validation. */
export function errorBody(error: TokenGateError): string {
  const body: { error: string; message: string; issues?: readonly FieldIssue[]; scope?: string } = {
    error: error.code,
    message: error.message,
  };
  if (error.issues) body.issues = error.issues;
  if (error.code === "insufficient_scope" && error.scopes) body.scope = error.scopes.join(" ");
  return JSON.stringify(body);
}

/**
 * Maps a failure of the authentication middleware to its answer: status per DESIGN.md,
 * `WWW-Authenticate` on every 401 (and on the 400/403 the RFC lets it describe), `Retry-After` on
 * 429 and 503, `Cache-Control: no-store` so no proxy keeps an auth failure.
 */
export function authFailureAnswer(error: TokenGateError, realm: string): HttpAnswer {
  const headers: Record<string, string> = { "content-type": JSON_TYPE, "cache-control": "no-store" };
  if (error.status === 401 || error.status === 403 || error.status === 400) {
    headers["www-authenticate"] = bearerChallenge(realm, error);
  }
  if (error.retryAfter !== undefined) headers["retry-after"] = retryAfterSeconds(error.retryAfter);
  return { status: error.status, headers, body: errorBody(error) };
}

/** The answer for the admin router: the same body, no bearer challenge (it uses the app's session). */
export function adminFailureAnswer(error: TokenGateError): HttpAnswer {
  const headers: Record<string, string> = { "content-type": JSON_TYPE, "cache-control": "no-store" };
  if (error.retryAfter !== undefined) headers["retry-after"] = retryAfterSeconds(error.retryAfter);
  return { status: error.status, headers, body: errorBody(error) };
}

export function jsonAnswer(
  status: number,
  value: unknown,
  extraHeaders: Record<string, string> = {},
): HttpAnswer {
  return {
    status,
    headers: { "content-type": JSON_TYPE, "cache-control": "no-store", ...extraHeaders },
    body: JSON.stringify(value),
  };
}

export { QUOTABLE as RFC6750_QUOTABLE };
