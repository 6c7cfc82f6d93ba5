/**
 * The admin router, framework-free: which routes there are, what a call carries, and the answer to
 * each. The Express, Koa and Hono routers register `ADMIN_ROUTES`, read a request into an
 * `AdminCall`, and write back the `HttpAnswer` that `TokenAdmin.handle` returns.
 *
 * Longer than most files here because the routes, the call's shape and the dispatch are one table
 * read three ways; the page's answers, the cross-site check and the OpenAPI document have files
 * of their own.
 */

import { adminFailureAnswer, type HttpAnswer, jsonAnswer, TokenGateError } from "../errors";
import {
  ListApiTokensQuerySchema,
  ListSecurityEventsQuerySchema,
  TokenIdParamSchema,
} from "../lifecycle/schemas";
import type { TokenService } from "../lifecycle/service";
import { fieldError, parseOrFail } from "../lifecycle/validation";
import { requestClientOf } from "../observability/security-events";
import type { GateTelemetry } from "../observability/telemetry";
import { isStoreInputFault } from "../ports/store-fault";
import type { Result } from "../result";
import { type CrossSitePolicy, isCrossOriginRequest, type RequestOrigin } from "./cross-site";
import { type AdminOpenApiOptions, openApiAnswer } from "./openapi";
import {
  type AdminPageFiles,
  isPageAsset,
  pageAssetAnswer,
  type SessionDirectory,
  sessionAnswer,
} from "./page-answers";

/** The admin router's routes, relative to where it is mounted. Adapters register exactly these. */
export const ADMIN_ROUTES = [
  { method: "POST", path: "/", operation: "create" },
  { method: "GET", path: "/", operation: "list" },
  { method: "DELETE", path: "/:id", operation: "delete" },
  { method: "POST", path: "/:id/rotate", operation: "rotate" },
  { method: "GET", path: "/session", operation: "session" },
  { method: "GET", path: "/events", operation: "events" },
  { method: "GET", path: "/ui", operation: "page" },
  { method: "GET", path: "/ui/app.js", operation: "pageScript" },
  { method: "GET", path: "/ui/app.css", operation: "pageStyle" },
  { method: "GET", path: "/openapi.json", operation: "openapi" },
] as const;

export type AdminRoute = (typeof ADMIN_ROUTES)[number];
export type AdminOperation = AdminRoute["operation"];

// Every other operation changes state, and is refused when a browser sends it from another origin.
const READ_ONLY: ReadonlySet<AdminOperation> = new Set(
  ADMIN_ROUTES.filter((route) => route.method === "GET").map((route) => route.operation),
);

/**
 * A request body as the framework has it: not read, raw text, or already parsed by the app; or
 * given up on, because it was larger than `ADMIN_BODY_LIMIT` or did not arrive within the
 * router's `bodyTimeoutMs`. The last two leave the connection mid-body, so their answer closes it.
 */
export type AdminBody =
  | { readonly kind: "absent" }
  | { readonly kind: "text"; readonly text: string }
  | { readonly kind: "parsed"; readonly value: unknown }
  | { readonly kind: "too_large" }
  | { readonly kind: "timed_out" };

/** Per-router settings, given once when the router is mounted. */
export interface AdminRouterSettings {
  /** Serve the token management page at `<mount>/ui`. Default false. */
  readonly page?: boolean | undefined;
  /**
   * The page's files. The Express, Koa and Hono routers pass `@tokengate/admin-page`'s
   * `tokenPageFiles`; set it only to serve a page of your own. Called on the first request for
   * the page.
   */
  readonly pageFiles?: (() => AdminPageFiles) | undefined;
  /**
   * Serve the router's OpenAPI 3.1 document at `<mount>/openapi.json`. Default true; `false`
   * answers 404 there. An object describes the application's session for the document's security
   * scheme (see `AdminOpenApiOptions`).
   */
  readonly openapi?: boolean | Pick<AdminOpenApiOptions, "securityScheme"> | undefined;
  /**
   * The `WWW-Authenticate` value the router's 401s carry, for apps whose session is HTTP
   * authentication (the demo's `Basic realm="tokengate demo"`), so a browser asks the user to
   * sign in. Apps with a session cookie leave it unset.
   */
  readonly sessionChallenge?: string | undefined;
  /**
   * How long the router waits for a request body, in milliseconds, before it answers 408 and
   * closes the connection. Default 10 000: the router's bodies are a few hundred bytes, and a
   * client that sends them a byte at a time must not hold a connection until Node's own timeout.
   */
  readonly bodyTimeoutMs?: number | undefined;
}

/** The default `bodyTimeoutMs`. */
export const ADMIN_BODY_TIMEOUT_MS = 10_000;

/**
 * Checks a router's options once, when it is mounted: a `TypeError` naming the option, rather than
 * a failure on the first request. Every adapter's `tokenAdminRouter` calls it.
 */
export function checkAdminRouterOptions<T extends AdminRouterSettings & { getActor?: unknown }>(
  options: T,
): T {
  if (typeof options?.getActor !== "function") throw new TypeError("tokenAdminRouter: getActor is required");
  if (options.page === true && typeof options.pageFiles !== "function") {
    throw new TypeError("tokenAdminRouter: page needs pageFiles, a function that returns the page's files");
  }
  const { openapi } = options;
  if (
    openapi !== undefined &&
    typeof openapi !== "boolean" &&
    (typeof openapi !== "object" || openapi === null)
  ) {
    throw new TypeError("tokenAdminRouter: openapi must be true, false or { securityScheme }");
  }
  const timeout = options.bodyTimeoutMs;
  // setTimeout takes at most 2^31-1 ms, and treats anything larger as 1 ms.
  if (timeout !== undefined && !(Number.isInteger(timeout) && timeout > 0 && timeout <= 2_147_483_647)) {
    throw new TypeError("tokenAdminRouter: bodyTimeoutMs must be a positive whole number of milliseconds");
  }
  return options;
}

/** The body deadline a router's settings give. */
export function adminBodyTimeout(settings: AdminRouterSettings | undefined): number {
  return settings?.bodyTimeoutMs ?? ADMIN_BODY_TIMEOUT_MS;
}

/**
 * The route a method and path (relative to where the router is mounted) take, with the `:id`
 * segment as sent. Frameworks route by themselves; this is for the one case where the framework
 * cannot hand a segment over: Express throws `URIError` on `/%zz` before any handler runs, and its
 * adapter answers through here so the reply is the same 400 naming `id` as on Koa and Hono.
 */
export function matchAdminRoute(
  method: string,
  path: string,
): { readonly route: AdminRoute; readonly id: string | undefined } | undefined {
  const wanted = method.toUpperCase() === "HEAD" ? "GET" : method.toUpperCase();
  // Not strict about one trailing slash, and not case-sensitive: as the frameworks route by default.
  const segments = path
    .replace(/(.)\/$/, "$1")
    .split("/")
    .slice(1);
  for (const route of ADMIN_ROUTES) {
    if (route.method !== wanted) continue;
    const pattern = route.path.split("/").slice(1);
    if (pattern.length !== segments.length) continue;
    let id: string | undefined;
    const matches = pattern.every((part, i) => {
      const segment = segments[i]!;
      if (part === ":id") {
        id = segment;
        return segment !== "";
      }
      return part.toLowerCase() === segment.toLowerCase();
    });
    if (matches) return { route, id };
  }
  return undefined;
}

export interface AdminCall extends RequestOrigin {
  readonly operation: AdminOperation;
  /** The `:id` path parameter, as sent. */
  readonly id?: string | undefined;
  /**
   * The request's path as it arrived (`/api-tokens/openapi.json`): the served OpenAPI document
   * names its routes under the mount this path shows.
   */
  readonly path?: string | undefined;
  /** The query string, with or without its leading `?` (see `adminQuery`). */
  readonly query: string;
  readonly contentType?: string | undefined;
  readonly body: AdminBody;
  /** The signed-in user, as the application's `getActor` hook answered; null when signed out. */
  readonly actorUserId: number | null;
  readonly settings?: AdminRouterSettings | undefined;
}

/** The largest body the admin router reads. Its requests are a few hundred bytes. */
export const ADMIN_BODY_LIMIT = 16 * 1024;

const NO_CONTENT: HttpAnswer = { status: 204, headers: { "cache-control": "no-store" }, body: undefined };

/**
 * The answer to a body the router gave up on. The rest of that body may still be on its way, so
 * the connection cannot carry another request: `Connection: close`, which Node's server obeys
 * by closing the socket once the answer is written.
 */
function abandonedBodyAnswer(body: AdminBody): HttpAnswer | undefined {
  if (body.kind !== "too_large" && body.kind !== "timed_out") return undefined;
  const error = new TokenGateError(body.kind === "too_large" ? "payload_too_large" : "request_timeout");
  const answer = adminFailureAnswer(error);
  return { ...answer, headers: { ...answer.headers, connection: "close" } };
}

// The request field a value the store refused came from, per operation (see `isStoreInputFault`).
const STORE_INPUT_FIELD: Partial<Record<AdminOperation, string>> = {
  create: "teamId",
  list: "teamId",
  events: "teamId",
  delete: "id",
  rotate: "id",
};

function isJsonType(contentType: string): boolean {
  const type = contentType.split(";")[0]!.trim().toLowerCase();
  return type === "application/json" || (type.startsWith("application/") && type.endsWith("+json"));
}

/** The JSON value of the body. An empty body is `undefined`, for the caller to accept or refuse. */
function readJson(call: AdminCall): Result<unknown> {
  const { body } = call;
  // A body given up on (too large, too slow) never gets here: `handle` answers it first.
  if (body.kind === "absent" || body.kind === "too_large" || body.kind === "timed_out") {
    return { ok: true, value: undefined };
  }
  if (body.kind === "text" && body.text.trim() === "") return { ok: true, value: undefined };
  if (!call.contentType || !isJsonType(call.contentType)) {
    return { ok: false, error: new TokenGateError("unsupported_content_type") };
  }
  if (body.kind === "parsed") return { ok: true, value: body.value };
  try {
    return { ok: true, value: JSON.parse(body.text) };
  } catch {
    return { ok: false, error: new TokenGateError("invalid_json") };
  }
}

/**
 * The query parameters, each named once. Frameworks disagree on a repeated name (first wins, last
 * wins), so `?teamId=20&teamId=10` would mean different teams behind different adapters: refuse it.
 */
export function adminQuery(search: string): Result<Record<string, string>> {
  // A Map, not an object: `params["__proto__"] = …` would set no key at all, and `?__proto__`
  // would slip past the schema's refusal of unknown parameters.
  const params = new Map<string, string>();
  for (const [name, value] of new URLSearchParams(search)) {
    if (params.has(name)) return { ok: false, error: fieldError(name, `${name} must be given once`) };
    params.set(name, value);
  }
  return { ok: true, value: Object.fromEntries(params) };
}

/** The admin 401's challenge unless the app names its own (`sessionChallenge`, e.g. Basic for the demo). */
export const DEFAULT_SESSION_CHALLENGE = 'Session realm="tokengate-admin"';

/**
 * The admin router, framework-free: takes one call, answers status, headers and JSON body.
 * Adapters only read the request into an `AdminCall` and write the `HttpAnswer` back.
 */
export class TokenAdmin {
  /**
   * @param people the directory and team roles, for the page's `GET /session`.
   * @param crossSite the proxies and origins to believe when telling a forged request (the gate's
   *   `trustedProxies` and `trustedOrigins`).
   * @param telemetry records a span per call (the gate's; none when it turned telemetry off).
   */
  readonly #service: TokenService;
  readonly #people: SessionDirectory | undefined;
  readonly #crossSite: CrossSitePolicy;
  readonly #telemetry: GateTelemetry | undefined;

  constructor(
    service: TokenService,
    people?: SessionDirectory,
    crossSite: CrossSitePolicy = {},
    telemetry?: GateTelemetry,
  ) {
    this.#service = service;
    this.#people = people;
    this.#crossSite = crossSite;
    this.#telemetry = telemetry;
  }

  handle(call: AdminCall): Promise<HttpAnswer> {
    if (!this.#telemetry) return this.#handle(call);
    return this.#telemetry.traceAdmin(call.operation, call.id, () => this.#handle(call));
  }

  async #handle(call: AdminCall): Promise<HttpAnswer> {
    // Before anything else: whatever the answer, this connection is mid-body and must close.
    const abandoned = abandonedBodyAnswer(call.body);
    if (abandoned) return abandoned;
    try {
      const answer = await this.#dispatch(call);
      if (answer.status !== 401) return answer;
      // RFC 9110 §15.5.2: every 401 carries a challenge. The router authenticates with the app's
      // own session, so the default names no credential scheme a client could send here.
      const challenge = call.settings?.sessionChallenge ?? DEFAULT_SESSION_CHALLENGE;
      return { ...answer, headers: { ...answer.headers, "www-authenticate": challenge } };
    } catch (error) {
      // A failure that explains itself (the cache could not confirm a revocation everywhere) keeps
      // its words; a value the store could not hold is the caller's; anything else is the store's
      // fault: 503, and no internals in the body.
      if (error instanceof TokenGateError) return adminFailureAnswer(error);
      const field = STORE_INPUT_FIELD[call.operation];
      if (field && isStoreInputFault(error)) {
        return adminFailureAnswer(fieldError(field, `${field} is not a value the token store can hold`));
      }
      return adminFailureAnswer(new TokenGateError("store_unavailable", { retryAfter: 5 }));
    }
  }

  async #dispatch(call: AdminCall): Promise<HttpAnswer> {
    // The page's files are the same for everyone: the page itself explains a signed-out session.
    if (isPageAsset(call.operation)) {
      return pageAssetAnswer(call.operation, call.settings?.page === true, call.settings?.pageFiles);
    }
    // The API's description is public, as the page's files are: it names no token and no user.
    if (call.operation === "openapi") return openApiAnswer(call.path, call.settings);
    if (!READ_ONLY.has(call.operation) && isCrossOriginRequest(call, this.#crossSite)) {
      return adminFailureAnswer(new TokenGateError("csrf_rejected"));
    }
    if (call.actorUserId === null) return adminFailureAnswer(new TokenGateError("unauthenticated"));
    const principal = {
      kind: "user",
      userId: call.actorUserId,
      client: requestClientOf(call.peerAddress, call),
    } as const;

    switch (call.operation) {
      case "create": {
        const body = readJson(call);
        if (!body.ok) return adminFailureAnswer(body.error);
        if (body.value === undefined) {
          return adminFailureAnswer(
            new TokenGateError("validation_failed", {
              message: "tokenName: tokenName is required",
              issues: [{ field: "tokenName", message: "tokenName is required" }],
            }),
          );
        }
        const created = await this.#service.create(principal, body.value);
        return created.ok ? jsonAnswer(201, created.value) : adminFailureAnswer(created.error);
      }
      case "list": {
        const params = adminQuery(call.query);
        if (!params.ok) return adminFailureAnswer(params.error);
        const query = parseOrFail(ListApiTokensQuerySchema, params.value, "query");
        if (!query.ok) return adminFailureAnswer(query.error);
        const filter = query.value.teamId === undefined ? {} : { teamId: query.value.teamId };
        const listed = await this.#service.list(principal, filter);
        return listed.ok ? jsonAnswer(200, { tokens: listed.value }) : adminFailureAnswer(listed.error);
      }
      case "delete": {
        const id = parseOrFail(TokenIdParamSchema, call.id, "id");
        if (!id.ok) return adminFailureAnswer(id.error);
        const deleted = await this.#service.delete(principal, id.value);
        return deleted.ok ? NO_CONTENT : adminFailureAnswer(deleted.error);
      }
      case "session":
        return sessionAnswer(call.actorUserId, this.#service, this.#people);
      case "events": {
        const params = adminQuery(call.query);
        if (!params.ok) return adminFailureAnswer(params.error);
        const query = parseOrFail(ListSecurityEventsQuerySchema, params.value, "query");
        if (!query.ok) return adminFailureAnswer(query.error);
        const { teamId, tokenId, cursor, limit } = query.value;
        const listed = await this.#service.listEvents(principal, {
          ...(teamId === undefined ? {} : { teamId }),
          ...(tokenId === undefined ? {} : { tokenId }),
          ...(cursor === undefined ? {} : { cursor }),
          ...(limit === undefined ? {} : { limit }),
        });
        return listed.ok ? jsonAnswer(200, listed.value) : adminFailureAnswer(listed.error);
      }
      case "rotate": {
        const id = parseOrFail(TokenIdParamSchema, call.id, "id");
        if (!id.ok) return adminFailureAnswer(id.error);
        const body = readJson(call);
        if (!body.ok) return adminFailureAnswer(body.error);
        const options = body.value === undefined ? {} : body.value;
        const rotated = await this.#service.rotate(principal, id.value, options);
        return rotated.ok ? jsonAnswer(201, rotated.value) : adminFailureAnswer(rotated.error);
      }
    }
  }
}
