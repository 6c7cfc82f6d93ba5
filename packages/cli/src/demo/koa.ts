/** The demo app on Koa, for `tokengate serve --framework koa` (see listener.ts). */
import { METHODS } from "node:http";
import Router from "@koa/router";
import type { TokenGate } from "@tokengate/core";
import { protectRouter, tokenAdminRouter } from "@tokengate/koa";
import Koa, { type Middleware } from "koa";
import { unexpectedErrorAnswer } from "./error-answer";
import {
  DEMO_ADMIN_PATH,
  DEMO_ADMIN_SETTINGS,
  DEMO_HEALTHZ_PATH,
  DEMO_ME_PATH,
  DEMO_READYZ_PATH,
  demoActorFromAuthorization,
  indexBody,
  meBody,
  probeAnswer,
} from "./setup";

const API_PREFIX = "/api";

/** Koa's own error answer is plain text; answer JSON, like every other answer of the demo. */
const jsonErrors: Middleware = async (ctx, next) => {
  try {
    await next();
  } catch (error) {
    const answer = unexpectedErrorAnswer(error);
    ctx.status = answer.status;
    ctx.set(answer.headers as Record<string, string>);
    ctx.body = answer.body;
  }
};

/** The demo API on Koa: the admin router behind the demo session, `/api/*` behind tokengate. */
export function createKoaDemo(gate: TokenGate): Koa {
  const app = new Koa();
  app.use(jsonErrors);
  app.use(
    tokenAdminRouter(gate, {
      ...DEMO_ADMIN_SETTINGS,
      prefix: DEMO_ADMIN_PATH,
      getActor: (ctx) => demoActorFromAuthorization(ctx.get("authorization")),
    }),
  );
  // Every method Node accepts gets an answer (405 or 404), so none is "not implemented" (501).
  const site = new Router({ methods: [...METHODS] });
  site.get("/", (ctx) => {
    ctx.body = indexBody();
  });
  site.get([DEMO_HEALTHZ_PATH, DEMO_READYZ_PATH], async (ctx) => {
    const answer = (await probeAnswer(gate, ctx.path))!;
    ctx.status = answer.status;
    ctx.set(answer.headers as Record<string, string>);
    ctx.body = answer.body;
  });
  // The gate on the router itself: it matches /API/v1/me, /api/v1/me/ and every method exactly as
  // the router's routes do, so no route of it runs without a token (see protectRouter).
  const api = protectRouter(new Router({ prefix: API_PREFIX }), gate);
  api.get(DEMO_ME_PATH.slice(API_PREFIX.length), (ctx) => {
    ctx.body = meBody(ctx.state.auth!);
  });
  app.use(site.routes()).use(site.allowedMethods());
  app.use(api.routes()).use(api.allowedMethods());
  return app;
}
