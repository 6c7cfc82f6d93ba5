import type { TokenGate } from "@tokengate/core";
import { tokenAdminRouter, tokengate } from "@tokengate/express";
import express, { type Express } from "express";
import {
  DEMO_ADMIN_PATH,
  DEMO_ADMIN_SETTINGS,
  DEMO_ME_PATH,
  demoActorFromAuthorization,
  indexBody,
  meBody,
} from "./setup";

/** The demo API on Express: the admin router behind the demo session, `/api/*` behind tokengate. */
export function createExpressDemo(gate: TokenGate): Express {
  const app = express();
  app.disable("x-powered-by");
  app.get("/", (_req, res) => {
    res.json(indexBody());
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
  return app;
}
