import Router from "@koa/router";
import type { TokenGate } from "@tokengate/core";
import { tokenAdminRouter, tokengate } from "@tokengate/koa";
import Koa from "koa";
import {
  DEMO_ADMIN_PATH,
  DEMO_ADMIN_SETTINGS,
  DEMO_ME_PATH,
  demoActorFromAuthorization,
  indexBody,
  meBody,
} from "./setup";

/** The demo API on Koa: the admin router behind the demo session, `/api/*` behind tokengate. */
export function createKoaDemo(gate: TokenGate): Koa {
  const app = new Koa();
  app.use(
    tokenAdminRouter(gate, {
      ...DEMO_ADMIN_SETTINGS,
      prefix: DEMO_ADMIN_PATH,
      getActor: (ctx) => demoActorFromAuthorization(ctx.get("authorization")),
    }),
  );
  // On the app, not the router: an unknown path under /api/ is still refused without a token.
  const requireToken = tokengate(gate);
  app.use((ctx, next) => (ctx.path.startsWith("/api/") ? requireToken(ctx, next) : next()));
  const router = new Router();
  router.get("/", (ctx) => {
    ctx.body = indexBody();
  });
  router.get(DEMO_ME_PATH, (ctx) => {
    ctx.body = meBody(ctx.state.auth!);
  });
  app.use(router.routes()).use(router.allowedMethods());
  return app;
}
