/**
 * tokengate for Koa 3: `app.use(tokengate(gate))`, `protectRouter(router, gate)` for the routes of
 * one @koa/router `Router`, and `app.use(tokenAdminRouter(gate, { prefix, getActor }))`.
 */
import { METHODS } from "node:http";
import Router from "@koa/router";
import { tokenPageFiles } from "@tokengate/admin-page";
import {
  type Actor,
  ADMIN_BODY_LIMIT,
  ADMIN_ROUTES,
  type AdminBody,
  type AdminRouterSettings,
  type AuthIdentity,
  adminBodyTimeout,
  checkAdminRouterOptions,
  createAuthDecider,
  type HttpAnswer,
  type MiddlewareOptions,
  NodeCredentialInput,
  nodeRequestOrigin,
  queryTokenInput,
  readNodeBody,
  type TokenGate,
  type TokenGateOptions,
} from "@tokengate/core";
import type { Context, Middleware } from "koa";

declare module "koa" {
  interface DefaultState {
    /** Set by `tokengate()` on every request it lets through with a credential. */
    auth?: AuthIdentity;
  }
}

function send(ctx: Context, answer: HttpAnswer): void {
  ctx.status = answer.status;
  ctx.set(answer.headers as Record<string, string>);
  if (answer.body !== undefined) ctx.body = answer.body;
}

/**
 * Authenticates every request, or answers 400/401/403/429/503 before the next middleware runs.
 *
 * @example
 * app.use(tokengate(gate));
 * router.get("/documents", tokengate(gate, { scopes: ["documents:read"] }), (ctx) => { ctx.body = ctx.state.auth; });
 */
export function tokengate(gate: TokenGate | TokenGateOptions, options: MiddlewareOptions = {}): Middleware {
  const decider = createAuthDecider(gate, options, "koa");
  const resolved = decider.gate;
  return async function tokengateMiddleware(ctx, next) {
    const decision = await decider.decide(
      () => new NodeCredentialInput(ctx.req, queryTokenInput(resolved, ctx.originalUrl)),
      ctx.state.auth,
    );
    if (decision.action === "respond") return send(ctx, decision.answer);
    if (decision.identity) ctx.state.auth = decision.identity;
    ctx.set(decision.headers as Record<string, string>);
    await next();
  };
}

/**
 * Puts the gate in front of everything `router` serves, matched by the router itself: every path
 * under its prefix, whatever the method (OPTIONS and methods no route takes included), with the
 * router's own case, trailing-slash and encoding rules. No handler of the router runs without an
 * identity, and a request without a credential is answered 401 before the router's own 404 or 405.
 *
 * Why not `app.use` with a path test, or `router.use(tokengate(gate))`: a test like
 * `ctx.path.startsWith("/api/")` is case-sensitive while the router matches `/API/…` too, and
 * @koa/router 15 matches `router.use()` middleware of a prefixed router case-sensitively while
 * its routes are not, so `/API/v1/me` would reach the handler without the gate. Here the gate is
 * a route of the router, compiled with its routes, and runs before them.
 *
 * Routes given as a RegExp ignore the router's prefix in @koa/router; protect string paths.
 *
 * @example
 * const api = protectRouter(new Router({ prefix: "/api" }), gate);
 * api.get("/v1/me", (ctx) => { ctx.body = { userId: ctx.state.auth!.userId }; });
 * app.use(api.routes()).use(api.allowedMethods());
 */
export function protectRouter<R extends Router>(
  router: R,
  gate: TokenGate | TokenGateOptions,
  options: MiddlewareOptions = {},
): R {
  // Duck-typed: the app's @koa/router may be another copy than ours. Whether it compiles the
  // catch-all as ours does is checked below, on the route itself.
  if (
    typeof router?.register !== "function" ||
    !Array.isArray(router.stack) ||
    !Array.isArray(router.methods)
  ) {
    throw new TypeError("protectRouter: router must be a @koa/router Router");
  }
  if (router.opts.exclusive) {
    // An exclusive router runs one layer per request: the route's, never the gate's.
    throw new TypeError(
      "protectRouter: a router with `exclusive` runs only one route, so the gate would not run",
    );
  }
  const requireToken = tokengate(gate, options);
  const layer = router.register(
    "{/*path}",
    METHODS,
    [
      async function protectedRoutes(ctx, next) {
        // Past the gate, the router's own routes say which methods the path allows (its
        // allowedMethods() reads ctx.matched): the gate's catch-all is not one of them.
        return requireToken(ctx, () => {
          const routed = ctx as Context & { matched?: unknown[] };
          if (routed.matched) routed.matched = routed.matched.filter((matched) => matched !== layer);
          return next();
        });
      },
    ],
    { ignoreCaptures: true, name: "tokengate" },
  );
  // Another major of @koa/router would read the pattern differently, and a gate that matches
  // nothing fails open: refuse it now rather than find out from a request.
  const prefix = router.opts.prefix ?? "";
  const route = layer as unknown as { match?: (path: string) => boolean };
  if (
    typeof route.match !== "function" ||
    !route.match(`${prefix}/any/path`) ||
    !route.match(prefix || "/")
  ) {
    router.stack.splice(router.stack.indexOf(layer as (typeof router.stack)[number]), 1);
    throw new TypeError(
      "protectRouter: this @koa/router does not match the gate's catch-all; use @koa/router 15",
    );
  }
  // The gate answers every method under the router, so the router's allowedMethods() must not
  // call one "not implemented" (501): it answers 405 for a path it has, or leaves the 404. In
  // place, so an allowedMethods() taken before this call sees it too.
  for (const method of METHODS) if (!router.methods.includes(method)) router.methods.push(method);
  // First in the stack, so it runs before every route, whenever they were registered.
  router.stack.splice(router.stack.indexOf(layer as (typeof router.stack)[number]), 1);
  router.stack.unshift(layer as (typeof router.stack)[number]);
  return router;
}

export interface TokenAdminRouterOptions extends AdminRouterSettings {
  /** Where the router answers, e.g. "/api-tokens". */
  prefix: string;
  /** The application's own session: who is signed in? Return null when nobody is. */
  getActor(ctx: Context): Actor | Promise<Actor>;
}

function bodyOf(ctx: Context, settings: AdminRouterSettings): Promise<AdminBody> | AdminBody {
  // A body parser (koa-bodyparser, @koa/bodyparser) may have read it already.
  const parsed = (ctx.request as { body?: unknown }).body;
  if (parsed !== undefined) return { kind: "parsed", value: parsed };
  if (!ctx.req.readable) return { kind: "absent" };
  return readNodeBody(ctx.req, ADMIN_BODY_LIMIT, adminBodyTimeout(settings));
}

/**
 * The token lifecycle over HTTP under `prefix`: `POST /` create, `GET /?teamId=` list,
 * `DELETE /:id`, `POST /:id/rotate`.
 *
 * @example
 * app.use(tokenAdminRouter(gate, { prefix: "/api-tokens", getActor: (ctx) => ctx.state.user ?? null }));
 */
export function tokenAdminRouter(gate: TokenGate, options: TokenAdminRouterOptions): Middleware {
  // The page's files come from @tokengate/admin-page unless the app serves a page of its own.
  const settings = checkAdminRouterOptions({ pageFiles: tokenPageFiles, ...options });
  if (!/^\/[^?#]*$/.test(settings.prefix ?? ""))
    throw new TypeError("tokenAdminRouter: prefix must start with /");
  const router = new Router({ prefix: settings.prefix.replace(/\/$/, "") });
  for (const route of ADMIN_ROUTES) {
    router.register(route.path, [route.method], async (ctx: Context) => {
      const actor = await settings.getActor(ctx);
      const body = route.method === "POST" ? await bodyOf(ctx, settings) : ({ kind: "absent" } as const);
      const params = (ctx as Context & { params?: Record<string, string> }).params ?? {};
      send(
        ctx,
        await gate.admin.handle({
          ...nodeRequestOrigin(ctx.req),
          operation: route.operation,
          id: params.id,
          path: ctx.path,
          query: ctx.querystring,
          contentType: ctx.get("content-type") || undefined,
          body,
          actorUserId: actor?.userId ?? null,
          settings,
        }),
      );
    });
  }
  return router.routes() as unknown as Middleware;
}

export type { AuthIdentity, MiddlewareOptions, TokenGate } from "@tokengate/core";
export { createTokenGate } from "@tokengate/core";
