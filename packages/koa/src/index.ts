/**
 * tokengate for Koa 3: `app.use(tokengate(gate))` and `app.use(tokenAdminRouter(gate, { prefix, getActor }))`.
 */
import Router from "@koa/router";
import {
  type Actor,
  ADMIN_BODY_LIMIT,
  ADMIN_ROUTES,
  type AdminBody,
  type AdminRouterSettings,
  type AuthIdentity,
  authorizationFromRawHeaders,
  createAuthDecider,
  type HttpAnswer,
  type MiddlewareOptions,
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
  const decider = createAuthDecider(gate, options);
  const resolved = decider.gate;
  return async function tokengateMiddleware(ctx, next) {
    const decision = await decider.decide(
      () => ({
        authorization: authorizationFromRawHeaders(ctx.req.rawHeaders),
        queryToken: queryTokenInput(resolved, ctx.originalUrl),
        clientAddress: ctx.req.socket.remoteAddress,
        forwardedFor: ctx.req.headers["x-forwarded-for"],
      }),
      ctx.state.auth,
    );
    if (decision.action === "respond") return send(ctx, decision.answer);
    if (decision.identity) ctx.state.auth = decision.identity;
    ctx.set(decision.headers as Record<string, string>);
    await next();
  };
}

export interface TokenAdminRouterOptions extends AdminRouterSettings {
  /** Where the router answers, e.g. "/api-tokens". */
  prefix: string;
  /** The application's own session: who is signed in? Return null when nobody is. */
  getActor(ctx: Context): Actor | Promise<Actor>;
}

function bodyOf(ctx: Context): Promise<AdminBody> | AdminBody {
  // A body parser (koa-bodyparser, @koa/bodyparser) may have read it already.
  const parsed = (ctx.request as { body?: unknown }).body;
  if (parsed !== undefined) return { kind: "parsed", value: parsed };
  if (!ctx.req.readable) return { kind: "absent" };
  return readNodeBody(ctx.req, ADMIN_BODY_LIMIT);
}

/**
 * The token lifecycle over HTTP under `prefix`: `POST /` create, `GET /?teamId=` list,
 * `DELETE /:id`, `POST /:id/rotate`.
 *
 * @example
 * app.use(tokenAdminRouter(gate, { prefix: "/api-tokens", getActor: (ctx) => ctx.state.user ?? null }));
 */
export function tokenAdminRouter(gate: TokenGate, options: TokenAdminRouterOptions): Middleware {
  if (typeof options?.getActor !== "function") throw new TypeError("tokenAdminRouter: getActor is required");
  if (!/^\/[^?#]*$/.test(options.prefix ?? ""))
    throw new TypeError("tokenAdminRouter: prefix must start with /");
  const router = new Router({ prefix: options.prefix.replace(/\/$/, "") });
  for (const route of ADMIN_ROUTES) {
    router.register(route.path, [route.method], async (ctx: Context) => {
      const actor = await options.getActor(ctx);
      const body = route.method === "POST" ? await bodyOf(ctx) : ({ kind: "absent" } as const);
      const params = (ctx as Context & { params?: Record<string, string> }).params ?? {};
      send(
        ctx,
        await gate.admin.handle({
          operation: route.operation,
          id: params.id,
          query: ctx.querystring,
          contentType: ctx.get("content-type") || undefined,
          body,
          actorUserId: actor?.userId ?? null,
          origin: ctx.get("origin") || undefined,
          host: ctx.get("host") || undefined,
          secFetchSite: ctx.get("sec-fetch-site") || undefined,
          settings: options,
        }),
      );
    });
  }
  return router.routes() as unknown as Middleware;
}

export type { AuthIdentity, MiddlewareOptions, TokenGate } from "@tokengate/core";
export { createTokenGate } from "@tokengate/core";
