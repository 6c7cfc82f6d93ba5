/** The demo app on Express, for `tokengate serve --framework express` (see listener.ts). */
import type { TokenGate } from "@tokengate/core";
import { tokenAdminRouter, tokengate } from "@tokengate/express";
import express, { type ErrorRequestHandler, type Express } from "express";
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

/** Express's own error page shows the stack outside production: answer JSON instead. */
const jsonErrors: ErrorRequestHandler = (error, _req, res, next) => {
  if (res.headersSent) return next(error);
  const answer = unexpectedErrorAnswer(error);
  res.status(answer.status).set(answer.headers).end(answer.body);
};

/** The demo API on Express: the admin router behind the demo session, `/api/*` behind tokengate. */
export function createExpressDemo(gate: TokenGate): Express {
  const app = express();
  app.disable("x-powered-by");
  app.get("/", (_req, res) => {
    res.json(indexBody());
  });
  app.get([DEMO_HEALTHZ_PATH, DEMO_READYZ_PATH], async (req, res, next) => {
    try {
      const answer = (await probeAnswer(gate, req.path))!;
      res.status(answer.status).set(answer.headers).end(answer.body);
    } catch (error) {
      next(error);
    }
  });
  app.use(
    DEMO_ADMIN_PATH,
    tokenAdminRouter(gate, {
      ...DEMO_ADMIN_SETTINGS,
      getActor: (req) => demoActorFromAuthorization(req.headers.authorization),
    }),
  );
  app.use("/api", tokengate(gate));
  app.get(DEMO_ME_PATH, (req, res) => {
    res.json(meBody(req.auth!));
  });
  app.use(jsonErrors);
  return app;
}
