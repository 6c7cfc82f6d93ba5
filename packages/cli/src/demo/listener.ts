/**
 * The demo app of each framework behind one Node request listener, so `serve` starts them all the
 * same way; the routes and their answers are in setup.ts.
 */
import type { RequestListener } from "node:http";
import { getRequestListener } from "@hono/node-server";
import type { TokenGate } from "@tokengate/core";
import { createExpressDemo } from "./express";
import type { DemoFramework } from "./frameworks";
import { createHonoDemo } from "./hono";
import { createKoaDemo } from "./koa";

export { DEMO_FRAMEWORKS, type DemoFramework } from "./frameworks";

/** The demo app for one framework, as a Node request listener for `http.createServer`. */
export function createDemoListener(framework: DemoFramework, gate: TokenGate): RequestListener {
  switch (framework) {
    case "hono":
      return getRequestListener(createHonoDemo(gate).fetch);
    case "express":
      return createExpressDemo(gate);
    case "koa":
      return createKoaDemo(gate).callback();
  }
}
