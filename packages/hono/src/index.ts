/**
 * tokengate for Hono: `app.use(tokengate(gate))` and `app.route("/api-tokens", tokenAdminRouter(gate, { getActor }))`.
 */
import type { IncomingMessage } from "node:http";
import { tokenPageFiles } from "@tokengate/admin-page";
import {
  type Actor,
  ADMIN_BODY_LIMIT,
  ADMIN_ROUTES,
  type AdminBody,
  type AdminRouterSettings,
  type AuthIdentity,
  adminBodyTimeout,
  type CredentialInput,
  checkAdminRouterOptions,
  createAuthDecider,
  fetchRequestOrigin,
  type HttpAnswer,
  type MiddlewareOptions,
  NodeCredentialInput,
  nodeRequestOrigin,
  queryTokenInput,
  readWebBody,
  type TokenGate,
  type TokenGateOptions,
} from "@tokengate/core";
import { type Context, Hono, type MiddlewareHandler } from "hono";

/** Variables for `new Hono<{ Variables: TokenGateVariables }>()`, so `c.get("auth")` is typed. */
export type TokenGateVariables = { auth: AuthIdentity | undefined };
export type TokenGateEnv = { Variables: TokenGateVariables };

function toResponse(answer: HttpAnswer): Response {
  return new Response(answer.body ?? null, { status: answer.status, headers: answer.headers });
}

/** The Node request under @hono/node-server (`c.env.incoming`); undefined on other runtimes. */
function nodeIncoming(c: Context): IncomingMessage | undefined {
  const env = c.env as { incoming?: IncomingMessage } | undefined;
  return env?.incoming;
}

/**
 * What the gate reads off one request. Under @hono/node-server it comes from the Node request
 * the adapter exposes (`c.env.incoming`): `c.req.raw.headers` would build a fetch `Headers` over
 * the raw lines (and Node would parse every header into `incoming.headers`), a few microseconds a
 * request that the gate never needs. The raw lines also keep repeated Authorization fields apart:
 * fetch's `Headers` join them with ", ", so two `Token x` lines would read as one value of an
 * unknown scheme (401, where DESIGN.md says 400). Other runtimes read the fetch `Request`.
 *
 * The client address and `header(name)` are read only when the verifier asks (X-Forwarded-For for
 * a failure limiter, User-Agent for the security log), so a deployment without them pays nothing.
 * They live on a class, not on an object literal: V8 builds each literal that has getters as a
 * dictionary-mode object with fresh accessor pairs, and those kept every request's context (which
 * the getters capture) alive through young-generation collections, so under load all of it was
 * promoted and freed only by full collections (about 25 CPU µs a request, and the p99 pauses).
 */
function credentialInputOf(
  c: Context,
  gate: TokenGate,
  address: (c: Context) => string | undefined,
): CredentialInput {
  const incoming = nodeIncoming(c);
  if (incoming?.rawHeaders) {
    return new HonoNodeCredentialInput(incoming, queryTokenInput(gate, c.req.url), c, address);
  }
  return new FetchCredentialInput(c.req.raw.headers, queryTokenInput(gate, c.req.url), c, address);
}

/** The core's Node input, with the client's address found as the app says (`clientAddress`). */
class HonoNodeCredentialInput extends NodeCredentialInput {
  readonly #c: Context;
  readonly #address: (c: Context) => string | undefined;

  constructor(
    incoming: IncomingMessage,
    queryToken: CredentialInput["queryToken"],
    c: Context,
    address: (c: Context) => string | undefined,
  ) {
    super(incoming, queryToken);
    this.#c = c;
    this.#address = address;
  }

  override get clientAddress(): string | undefined {
    return this.#address(this.#c);
  }
}

class FetchCredentialInput implements CredentialInput {
  readonly authorization: string | null;
  readonly queryToken: CredentialInput["queryToken"];
  readonly #headers: Headers;
  readonly #c: Context;
  readonly #address: (c: Context) => string | undefined;

  constructor(
    headers: Headers,
    queryToken: CredentialInput["queryToken"],
    c: Context,
    address: (c: Context) => string | undefined,
  ) {
    this.authorization = headers.get("authorization");
    this.queryToken = queryToken;
    this.#headers = headers;
    this.#c = c;
    this.#address = address;
  }

  get clientAddress(): string | undefined {
    return this.#address(this.#c);
  }

  header(name: string): string | undefined {
    return this.#headers.get(name) ?? undefined;
  }
}

/** The client address under @hono/node-server; other runtimes pass `clientAddress`. */
function nodeAddress(c: Context): string | undefined {
  return nodeIncoming(c)?.socket?.remoteAddress;
}

export interface HonoMiddlewareOptions extends MiddlewareOptions {
  /** How to find the client's address on your runtime. Default: @hono/node-server's socket. */
  clientAddress?: (c: Context) => string | undefined;
}

/**
 * Authenticates every request, or answers 400/401/403/429/503 before the handler runs.
 *
 * @example
 * const app = new Hono<TokenGateEnv>();
 * app.use("/api/*", tokengate(gate));
 * app.get("/api/me", (c) => c.json({ userId: c.get("auth")?.userId }));
 */
export function tokengate(
  gate: TokenGate | TokenGateOptions,
  options: HonoMiddlewareOptions = {},
): MiddlewareHandler<TokenGateEnv> {
  const decider = createAuthDecider(gate, options, "hono");
  const resolved = decider.gate;
  const address = options.clientAddress ?? nodeAddress;
  return async function tokengateMiddleware(c, next) {
    const decision = await decider.decide(() => credentialInputOf(c, resolved, address), c.get("auth"));
    if (decision.action === "respond") return toResponse(decision.answer);
    if (decision.identity) c.set("auth", decision.identity);
    await next();
    for (const name in decision.headers) c.res.headers.set(name, decision.headers[name]!);
  };
}

export interface TokenAdminRouterOptions extends AdminRouterSettings {
  /** The application's own session: who is signed in? Return null when nobody is. */
  getActor(c: Context): Actor | Promise<Actor>;
  /** How to find the client's address on your runtime. Default: @hono/node-server's socket. */
  clientAddress?: (c: Context) => string | undefined;
}

async function bodyOf(c: Context, settings: AdminRouterSettings): Promise<AdminBody> {
  // A middleware that read the body (c.req.json()) left it in Hono's cache, not in the stream.
  if (c.req.raw.bodyUsed) {
    const text = await c.req.text();
    if (Buffer.byteLength(text) > ADMIN_BODY_LIMIT) return { kind: "too_large" };
    return text === "" ? { kind: "absent" } : { kind: "text", text };
  }
  return readWebBody(
    c.req.raw.body,
    ADMIN_BODY_LIMIT,
    adminBodyTimeout(settings),
    c.req.header("content-length"),
  );
}

/**
 * The token lifecycle over HTTP: `POST /` create, `GET /?teamId=` list, `DELETE /:id`,
 * `POST /:id/rotate`.
 *
 * @example
 * app.route("/api-tokens", tokenAdminRouter(gate, { getActor: (c) => c.get("user") ?? null }));
 */
export function tokenAdminRouter(gate: TokenGate, options: TokenAdminRouterOptions): Hono {
  // The page's files come from @tokengate/admin-page unless the app serves a page of its own.
  const settings = checkAdminRouterOptions({ pageFiles: tokenPageFiles, ...options });
  const address = settings.clientAddress ?? nodeAddress;
  const router = new Hono();
  for (const route of ADMIN_ROUTES) {
    router.on(route.method, route.path, async (c) => {
      const actor = await settings.getActor(c);
      const body = route.method === "POST" ? await bodyOf(c, settings) : ({ kind: "absent" } as const);
      const incoming = nodeIncoming(c);
      return toResponse(
        await gate.admin.handle({
          // Under @hono/node-server, the Node request's own headers and socket, as on Express and Koa.
          ...(incoming
            ? { ...nodeRequestOrigin(incoming), peerAddress: address(c) }
            : fetchRequestOrigin(c.req.raw, address(c))),
          operation: route.operation,
          id: c.req.param("id"),
          path: new URL(c.req.url).pathname,
          query: new URL(c.req.url).search,
          contentType: c.req.header("content-type"),
          body,
          actorUserId: actor?.userId ?? null,
          settings,
        }),
      );
    });
  }
  return router;
}

export type { AuthIdentity, MiddlewareOptions, TokenGate } from "@tokengate/core";
export { createTokenGate } from "@tokengate/core";
