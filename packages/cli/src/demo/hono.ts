/** The demo app on Hono, the default of `tokengate serve` (see listener.ts). */
import type { TokenGate } from "@tokengate/core";
import { type TokenGateEnv, tokenAdminRouter, tokengate } from "@tokengate/hono";
import { Hono } from "hono";
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

/** The demo API on Hono: the admin router behind the demo session, `/api/*` behind tokengate. */
export function createHonoDemo(gate: TokenGate): Hono<TokenGateEnv> {
  const app = new Hono<TokenGateEnv>();
  app.onError((error) => {
    const answer = unexpectedErrorAnswer(error);
    return new Response(answer.body, { status: answer.status, headers: answer.headers });
  });
  app.get("/", (c) => c.json(indexBody()));
  for (const path of [DEMO_HEALTHZ_PATH, DEMO_READYZ_PATH]) {
    app.get(path, async () => {
      const answer = (await probeAnswer(gate, path))!;
      return new Response(answer.body, { status: answer.status, headers: answer.headers });
    });
  }
  app.route(
    DEMO_ADMIN_PATH,
    tokenAdminRouter(gate, {
      ...DEMO_ADMIN_SETTINGS,
      getActor: (c) => demoActorFromAuthorization(c.req.header("authorization")),
    }),
  );
  app.use("/api/*", tokengate(gate));
  app.get(DEMO_ME_PATH, (c) => c.json(meBody(c.get("auth")!)));
  return app;
}
