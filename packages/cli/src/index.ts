/**
 * `@tokengate/cli`: the `tokengate` command, and the pieces it is built from for programs that want
 * them (the demo apps, the `--store` URL opener).
 */
export { type RunningDemo, type ServeOptions, startDemo } from "./commands/serve";
export { createExpressDemo } from "./demo/express";
export { createHonoDemo } from "./demo/hono";
export { createKoaDemo } from "./demo/koa";
export { createDemoListener, DEMO_FRAMEWORKS, type DemoFramework } from "./demo/listener";
export {
  DEMO_TEAMS,
  DEMO_USERS,
  type DemoUser,
  demoActorFromAuthorization,
  demoInstructions,
  type MeBody,
  seedDemoDirectory,
} from "./demo/setup";
export { type OpenedGate, type OpenGateOptions, openGate } from "./open-gate";
export { type OpenedStore, openStore, type SeedableDirectory } from "./open-store";
export { buildProgram, type CliEnvironment, type CliOutcome, runCli } from "./program";
export { defaultStoreUrl, describeLocation, parseStoreUrl, type StoreLocation } from "./store-location";
