/**
 * The admin router's OpenAPI 3.1 document, generated from the zod schemas the router validates
 * with (so the two cannot drift apart), and its answer at `GET <mount>/openapi.json`. Every route
 * in `ADMIN_ROUTES` is described from the `OPERATIONS` table below; the bodies are named component
 * schemas, and every error status carries the one `ErrorResponse` body.
 *
 * Served by the Express, Koa and Hono routers (on by default; `openapi: false` turns it off) and
 * printed by `tokengate openapi`.
 */
import { z } from "zod";
import { adminFailureAnswer, type HttpAnswer, jsonAnswer, TokenGateError } from "../errors";
import {
  AdminSessionSchema,
  ApiTokenSummarySchema,
  CreateApiTokenRequestSchema,
  CreateApiTokenResponseSchema,
  ErrorResponseSchema,
  ListApiTokensQuerySchema,
  ListApiTokensResponseSchema,
  ListSecurityEventsQuerySchema,
  ListSecurityEventsResponseSchema,
  RotateApiTokenRequestSchema,
  RotateApiTokenResponseSchema,
  SecurityEventSchema,
  TokenIdParamSchema,
} from "../lifecycle/schemas";
import { ADMIN_ROUTES, type AdminOperation, type AdminRouterSettings } from "./admin";

/** An OpenAPI Security Scheme Object, e.g. `{ type: "apiKey", in: "cookie", name: "sid" }`. */
export type OpenApiSecurityScheme = Readonly<Record<string, unknown>> & { readonly type: string };

export interface AdminOpenApiOptions {
  /**
   * How a client proves who it is to the router: the application's own session, which tokengate
   * reads only through `getActor`. Default: HTTP Basic when the router's `sessionChallenge` is
   * Basic (as in the demo), else a session cookie; name yours to document it exactly.
   */
  readonly securityScheme?: OpenApiSecurityScheme | undefined;
  /** The router's `sessionChallenge`, from which the default security scheme is taken. */
  readonly sessionChallenge?: string | undefined;
}

// The component schemas, by name: request bodies as the router accepts them, answers as it sends them.
const REQUEST_SCHEMAS = {
  CreateApiTokenRequest: CreateApiTokenRequestSchema,
  RotateApiTokenRequest: RotateApiTokenRequestSchema,
};
const RESPONSE_SCHEMAS = {
  CreateApiTokenResponse: CreateApiTokenResponseSchema,
  ApiTokenSummary: ApiTokenSummarySchema,
  ListApiTokensResponse: ListApiTokensResponseSchema,
  RotateApiTokenResponse: RotateApiTokenResponseSchema,
  AdminSession: AdminSessionSchema,
  SecurityEvent: SecurityEventSchema,
  ListSecurityEventsResponse: ListSecurityEventsResponseSchema,
  ErrorResponse: ErrorResponseSchema,
};
type SchemaName = keyof typeof REQUEST_SCHEMAS | keyof typeof RESPONSE_SCHEMAS;

/** The named schemas of one direction, with `$ref`s between them, as `components.schemas` holds them. */
function componentSchemas(schemas: Record<string, z.ZodType>, io: "input" | "output") {
  const registry = z.registry<{ id: string }>();
  for (const [id, schema] of Object.entries(schemas)) registry.add(schema, { id });
  const { schemas: generated } = z.toJSONSchema(registry, {
    io,
    uri: (id) => `#/components/schemas/${id}`,
    unrepresentable: "any",
  });
  // Each comes out as a document of its own; inside an OpenAPI document it is a plain schema.
  return Object.fromEntries(
    Object.entries(generated).map(([id, { $schema: _schema, $id: _id, ...schema }]) => [id, schema]),
  );
}

const ref = (name: SchemaName) => ({ $ref: `#/components/schemas/${name}` });
const json = (name: SchemaName) => ({ "application/json": { schema: ref(name) } });

const ERROR_DESCRIPTIONS: Readonly<Record<number, string>> = {
  400: "Invalid input: the body's `issues` name each field",
  401: "Not signed in to the application",
  403: "Not allowed, or refused as a cross-site request (`csrf_rejected`)",
  404: "No such token (or, for the page and this document, not enabled on this router)",
  408: "The request body did not arrive in time",
  413: "The request body is larger than 16 KiB",
  503: "The token store cannot be reached; retry after `Retry-After` seconds",
};

const errors = (...statuses: number[]) =>
  Object.fromEntries(
    statuses.map((status) => [
      String(status),
      { description: ERROR_DESCRIPTIONS[status] ?? `Error ${status}`, content: json("ErrorResponse") },
    ]),
  );

/** Query parameters from a strict object schema, each as the wire carries it: a string. */
function queryParameters(schema: z.ZodObject) {
  return Object.entries(schema.shape).map(([name, field]) => {
    const {
      $schema: _schema,
      description,
      ...wire
    } = z.toJSONSchema(field as z.ZodType, {
      io: "input",
      unrepresentable: "any",
    });
    return {
      name,
      in: "query",
      required: !(field as z.ZodType).safeParse(undefined).success,
      ...(description ? { description } : {}),
      schema: wire,
    };
  });
}

const { $schema: _idSchema, ...idWire } = z.toJSONSchema(TokenIdParamSchema, { io: "input" });
const ID_PARAMETER = { name: "id", in: "path", required: true, schema: idWire };

const PUBLIC = { security: [] } as const;
const fileAnswer = (type: string, description: string) => ({
  "200": { description, content: { [type]: { schema: { type: "string" } } } },
  ...errors(404),
});

/**
 * Every operation the router has, described. A mapped type over the operations, so a route added
 * to `ADMIN_ROUTES` without a description here does not compile. `events` (the security log,
 * issue 14) is described ahead of its route; the document lists only routes the router has.
 */
const OPERATIONS: { readonly [operation in AdminOperation | "events"]: Record<string, unknown> } = {
  create: {
    summary: "Create a token (the plain token is in this response only)",
    requestBody: { required: true, content: json("CreateApiTokenRequest") },
    responses: {
      "201": { description: "Created", content: json("CreateApiTokenResponse") },
      ...errors(400, 401, 403, 408, 413, 503),
    },
  },
  list: {
    summary: "List a team's tokens (teamId) or your personal ones",
    parameters: queryParameters(ListApiTokensQuerySchema),
    responses: {
      "200": { description: "Tokens", content: json("ListApiTokensResponse") },
      ...errors(400, 401, 403, 503),
    },
  },
  delete: {
    summary: "Revoke a token at once, on every instance",
    parameters: [ID_PARAMETER],
    responses: { "204": { description: "Revoked" }, ...errors(400, 401, 403, 404, 503) },
  },
  rotate: {
    summary: "Issue a successor; the old token keeps working for the grace period",
    parameters: [ID_PARAMETER],
    requestBody: { required: false, content: json("RotateApiTokenRequest") },
    responses: {
      "201": { description: "Rotated", content: json("RotateApiTokenResponse") },
      ...errors(400, 401, 403, 404, 408, 413, 503),
    },
  },
  session: {
    summary: "Who is signed in, and which of their teams' tokens they may manage",
    responses: {
      "200": { description: "The session", content: json("AdminSession") },
      ...errors(401, 403, 503),
    },
  },
  events: {
    summary: "The security log, newest first: a token's history (tokenId), a team's, or your own",
    parameters: queryParameters(ListSecurityEventsQuerySchema),
    responses: {
      "200": { description: "Events", content: json("ListSecurityEventsResponse") },
      ...errors(400, 401, 403, 503),
    },
  },
  page: {
    summary: "The token page (with `page: true`)",
    ...PUBLIC,
    responses: fileAnswer("text/html", "The page"),
  },
  pageScript: {
    summary: "The token page's script",
    ...PUBLIC,
    responses: fileAnswer("text/javascript", "The script"),
  },
  pageStyle: {
    summary: "The token page's style sheet",
    ...PUBLIC,
    responses: fileAnswer("text/css", "The style sheet"),
  },
  openapi: {
    summary: "This document",
    ...PUBLIC,
    responses: {
      "200": { description: "OpenAPI 3.1", content: { "application/json": { schema: { type: "object" } } } },
      ...errors(404),
    },
  },
};

/** The scheme a router's settings imply, when the application names none. */
function defaultSecurityScheme(sessionChallenge: string | undefined): OpenApiSecurityScheme {
  if (sessionChallenge && /^basic\b/i.test(sessionChallenge.trim())) {
    return { type: "http", scheme: "basic", description: "The application's sign-in: HTTP Basic" };
  }
  return {
    type: "apiKey",
    in: "cookie",
    name: "session",
    description:
      "The application's own session, which the router reads through its getActor hook. The cookie's name is the application's: pass the router `openapi: { securityScheme }` to document it.",
  };
}

/** `/:id/rotate` under `/api-tokens` -> `/api-tokens/{id}/rotate`; `/` is the mount itself. */
const openApiPath = (basePath: string, route: string) =>
  route === "/" ? basePath || "/" : basePath + route.replace(/:(\w+)/g, "{$1}");

/**
 * The admin router's OpenAPI 3.1 document.
 * @param basePath where the router is mounted, e.g. "/api-tokens".
 * @example
 * writeFileSync("openapi.json", JSON.stringify(adminOpenApiDocument("/api-tokens"), null, 2));
 */
export function adminOpenApiDocument(
  basePath = "/api-tokens",
  options: AdminOpenApiOptions = {},
): Record<string, unknown> {
  const mount = basePath.replace(/\/+$/, "");
  const paths: Record<string, Record<string, unknown>> = {};
  for (const route of ADMIN_ROUTES) {
    const path = openApiPath(mount, route.path);
    paths[path] = {
      ...paths[path],
      [route.method.toLowerCase()]: { operationId: route.operation, ...OPERATIONS[route.operation] },
    };
  }
  return {
    openapi: "3.1.0",
    info: {
      title: "tokengate admin API",
      version: "1",
      description:
        "Create, list, rotate and revoke API tokens. The router authenticates with the application's own session; state-changing calls from another origin are refused (403 csrf_rejected).",
    },
    security: [{ session: [] }],
    paths,
    components: {
      schemas: {
        ...componentSchemas(REQUEST_SCHEMAS, "input"),
        ...componentSchemas(RESPONSE_SCHEMAS, "output"),
      },
      securitySchemes: { session: options.securityScheme ?? defaultSecurityScheme(options.sessionChallenge) },
    },
  };
}

const OPENAPI_SUFFIX = /\/openapi\.json\/?$/i;

/**
 * `GET <mount>/openapi.json`: the document, under the mount its own path shows, or 404 when the
 * router was mounted with `openapi: false`.
 */
export function openApiAnswer(
  requestPath: string | undefined,
  settings: AdminRouterSettings | undefined,
): HttpAnswer {
  const setting = settings?.openapi ?? true;
  if (setting === false) {
    return adminFailureAnswer(
      new TokenGateError("not_found", { message: "The OpenAPI document is not served by this router" }),
    );
  }
  const mount =
    requestPath && OPENAPI_SUFFIX.test(requestPath) ? requestPath.replace(OPENAPI_SUFFIX, "") : "";
  const document = adminOpenApiDocument(mount, {
    securityScheme: setting === true ? undefined : setting.securityScheme,
    sessionChallenge: settings?.sessionChallenge,
  });
  return jsonAnswer(200, document);
}
