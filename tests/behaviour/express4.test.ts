/**
 * The Express adapter under Express 4.21+ (a supported peer), where issue 12's item 4 began:
 * Express 4's router also decodes `:id` before any handler runs and throws URIError on `/%zz`.
 * Here `express` is Express 4 for every module, the adapter's own `Router()` included.
 */
jest.mock("express", () => jest.requireActual("express4"));

import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { connect } from "node:net";
import { tokenAdminRouter, tokengate } from "@tokengate/express";
import express from "express";
import request from "supertest";
import { METHOD_VARIANTS, PATH_VARIANTS } from "./path-variants";
import { createWorld, mintToken, USERS, type World } from "./world";

let world: World;
let app: express.Express;
let anonymousRuns: number;

beforeEach(() => {
  world = createWorld({ adminSettings: { bodyTimeoutMs: 300 } });
  anonymousRuns = 0;
  app = express();
  app.use(
    "/api-tokens",
    tokenAdminRouter(world.gate, {
      ...world.adminSettings,
      getActor: (req) => (req.get("x-test-user") ? { userId: Number(req.get("x-test-user")) } : null),
    }),
  );
  app.use("/api", tokengate(world.gate));
  const handler: express.RequestHandler = (req, res) => {
    if (!req.auth) anonymousRuns++;
    res.json({ userId: req.auth?.userId ?? null });
  };
  app.get("/api/v1/me", handler);
  // Express 4's wildcard: every other path and method under /api.
  app.all("/api/*", handler);
});

const signedIn = (test: request.Test) => test.set("x-test-user", String(USERS.alice));

it("runs on Express 4, the adapter's own router included", () => {
  expect(express).toBe(jest.requireActual("express4"));
  expect((jest.requireActual("express4/package.json") as { version: string }).version).toMatch(/^4\./);
  // Express 4's Router() sets its result's prototype to the Router function itself.
  expect(Object.getPrototypeOf(tokenAdminRouter(world.gate, { getActor: () => null }))).toBe(express.Router);
});

it.each([
  ["delete", "/api-tokens/%"],
  ["delete", "/api-tokens/%zz"],
  ["post", "/api-tokens/%/rotate"],
] as const)("%s %s is 400 JSON naming id, with no stack (issue 12 item 4)", async (method, path) => {
  const res = await signedIn(request(app)[method](path));
  expect(res.status).toBe(400);
  expect(res.headers["content-type"]).toMatch(/^application\/json/);
  expect(res.body).toMatchObject({ error: "validation_failed", issues: [{ field: "id" }] });
  expect(res.text).not.toMatch(/URIError|node_modules|\s+at\s/);
  expect((await request(app)[method](path)).status).toBe(401);
});

it("lets no handler under /api run without an identity, whatever the path's spelling or the method", async () => {
  for (const path of PATH_VARIANTS) {
    for (const method of METHOD_VARIANTS) {
      const agent = request(app) as unknown as Record<string, (path: string) => request.Test>;
      const res = await agent[method.toLowerCase()]!(path);
      expect([method, path, res.status >= 200 && res.status < 300]).toEqual([method, path, false]);
      expect([method, path, res.status >= 500]).toEqual([method, path, false]);
    }
  }
  expect(anonymousRuns).toBe(0);
  const { token } = await mintToken(world, USERS.alice, { tokenName: "express 4" });
  const me = await request(app).get("/API/v1/me").set("authorization", `Bearer ${token}`);
  expect(me.body).toEqual({ userId: USERS.alice });
});

it("compares the whole origin, and refuses an empty one (issue 12 item 2)", async () => {
  for (const origin of ["https://app.example.test", ""]) {
    const res = await signedIn(request(app).post("/api-tokens"))
      .set("host", "app.example.test")
      .set("origin", origin)
      .send({ tokenName: "csrf-create" });
    expect([origin, res.status, res.body.error]).toEqual([origin, 403, "csrf_rejected"]);
  }
});

it("answers a body sent a byte at a time 408 and closes the connection (issue 12 item 7)", async () => {
  const server = createServer(app);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  try {
    const { port } = server.address() as AddressInfo;
    const response = await new Promise<string>((resolve, reject) => {
      const socket = connect(port, "127.0.0.1");
      let text = "";
      const drip = setInterval(() => socket.writable && socket.write("a"), 50);
      const giveUp = setTimeout(() => reject(new Error(`held open; answered: ${text}`)), 5_000);
      socket.setEncoding("utf8");
      socket.on("data", (chunk: string) => {
        text += chunk;
      });
      socket.on("error", () => undefined);
      socket.on("close", () => {
        clearInterval(drip);
        clearTimeout(giveUp);
        resolve(text);
      });
      socket.write(
        "POST /api-tokens HTTP/1.1\r\nhost: 127.0.0.1\r\nx-test-user: 1\r\ncontent-type: application/json\r\ncontent-length: 1000\r\n\r\n{",
      );
    });
    expect(response).toMatch(/^HTTP\/1\.1 408 /);
    expect(response.toLowerCase()).toContain("connection: close");
  } finally {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
});
