/**
 * tokengate for Express 5: `app.use(tokengate(gate))` and `app.use("/api-tokens", tokenAdminRouter(gate, { getActor }))`.
 */
import { tokenPageFiles } from "@tokengate/admin-page";
import {
  type Actor,
  ADMIN_BODY_LIMIT,
  ADMIN_ROUTES,
  type AdminBody,
  type AdminRoute,
  type AdminRouterSettings,
  type AuthIdentity,
  adminBodyTimeout,
  checkAdminRouterOptions,
  createAuthDecider,
  type HttpAnswer,
  type MiddlewareOptions,
  matchAdminRoute,
  NodeCredentialInput,
  nodeRequestOrigin,
  queryTokenInput,
  readNodeBody,
  type TokenGate,
  type TokenGateOptions,
} from "@tokengate/core";
import type { ErrorRequestHandler, NextFunction, Request, RequestHandler, Response } from "express";
import { Router } from "express";

declare global {
  namespace Express {
    interface Request {
      /** Set by `tokengate()` on every request it lets through with a credential. */
      auth?: AuthIdentity;
    }
  }
}

function send(res: Response, answer: HttpAnswer): void {
  res.status(answer.status).set(answer.headers);
  res.end(answer.body);
}

/**
 * Authenticates every request, or answers 400/401/403/429/503 before the handler runs.
 *
 * @example
 * const gate = createTokenGate({ store, directory });
 * app.use(tokengate(gate));
 * app.get("/documents", tokengate(gate, { scopes: ["documents:read"] }), (req, res) => res.json(req.auth));
 */
export function tokengate(
  gate: TokenGate | TokenGateOptions,
  options: MiddlewareOptions = {},
): RequestHandler {
  const decider = createAuthDecider(gate, options, "express");
  const resolved = decider.gate;
  return async function tokengateMiddleware(req, res, next) {
    try {
      const decision = await decider.decide(
        () => new NodeCredentialInput(req, queryTokenInput(resolved, req.originalUrl)),
        req.auth,
      );
      if (decision.action === "respond") return send(res, decision.answer);
      if (decision.identity) req.auth = decision.identity;
      for (const name in decision.headers) res.setHeader(name, decision.headers[name]!);
      next();
    } catch (error) {
      next(error);
    }
  };
}

export interface TokenAdminRouterOptions extends AdminRouterSettings {
  /** The application's own session: who is signed in? Return null when nobody is. */
  getActor(req: Request): Actor | Promise<Actor>;
}

function bodyOf(req: Request, settings: AdminRouterSettings): Promise<AdminBody> | AdminBody {
  // An app-level parser (express.json()) has already read it; otherwise read it ourselves.
  if (req.body !== undefined) return { kind: "parsed", value: req.body };
  if (!req.readable) return { kind: "absent" };
  return readNodeBody(req, ADMIN_BODY_LIMIT, adminBodyTimeout(settings));
}

/**
 * The token lifecycle over HTTP: `POST /` create, `GET /?teamId=` list, `DELETE /:id`,
 * `POST /:id/rotate`. Mount it behind your app's session middleware.
 *
 * @example
 * app.use("/api-tokens", tokenAdminRouter(gate, { getActor: (req) => req.session.user ?? null }));
 */
export function tokenAdminRouter(gate: TokenGate, options: TokenAdminRouterOptions): Router {
  // The page's files come from @tokengate/admin-page unless the app serves a page of its own.
  const settings = checkAdminRouterOptions({ pageFiles: tokenPageFiles, ...options });
  const router = Router();

  async function answer(
    route: AdminRoute,
    id: string | undefined,
    req: Request,
    res: Response,
  ): Promise<void> {
    const actor = await settings.getActor(req);
    const body = route.method === "POST" ? await bodyOf(req, settings) : ({ kind: "absent" } as const);
    send(
      res,
      await gate.admin.handle({
        ...nodeRequestOrigin(req),
        operation: route.operation,
        id,
        path: new URL(req.originalUrl, "http://x").pathname,
        query: new URL(req.originalUrl, "http://x").search,
        contentType: req.headers["content-type"],
        body,
        actorUserId: actor?.userId ?? null,
        settings,
      }),
    );
  }

  for (const route of ADMIN_ROUTES) {
    const method = route.method.toLowerCase() as "get" | "post" | "delete";
    router[method](route.path, (req: Request, res: Response, next: NextFunction) => {
      answer(route, (req.params as Record<string, string | undefined>).id, req, res).catch(next);
    });
  }
  // Express decodes `:id` before any handler runs and throws URIError on `/%zz`, which its own
  // error page shows as HTML with a stack. The core answers it instead, as on Koa and Hono: the
  // same checks, then 400 naming `id`.
  const malformedPath: ErrorRequestHandler = (error, req, res, next) => {
    // Express marks its decode failure 400; a URIError from the app's own getActor is not ours.
    const decoding = error instanceof URIError && (error as { status?: unknown }).status === 400;
    const matched = decoding ? matchAdminRoute(req.method, req.path) : undefined;
    if (!matched) return next(error);
    answer(matched.route, matched.id, req, res).catch(next);
  };
  router.use(malformedPath);
  return router;
}

export type { AuthIdentity, MiddlewareOptions, TokenGate } from "@tokengate/core";
export { createTokenGate } from "@tokengate/core";
