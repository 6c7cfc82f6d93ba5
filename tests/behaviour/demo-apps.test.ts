/**
 * The reviewer attacked `tokengate serve`: its three demo apps, with their own route tables. The
 * path variants of `hardening.test.ts` and the admin paths of issue 12 item 4 run against them
 * here too, on the SQLite store the demo uses by default. A demo handler reads `req.auth!`, so a
 * handler reached without an identity would show as a 500.
 */
import type { RequestListener } from "node:http";
import request from "supertest";
import { DEMOS, type DemoApp, openDemoApp } from "./demo-app";
import { METHOD_VARIANTS, PATH_VARIANTS } from "./path-variants";

const ALICE = "Basic " + Buffer.from("alice:alice-demo").toString("base64");

describe.each(DEMOS)("the $name demo app", ({ name }) => {
  let demo: DemoApp;
  let app: RequestListener;

  beforeEach(async () => {
    demo = await openDemoApp(name);
    app = demo.app;
  });

  afterEach(() => demo.close());

  /** Sends any method through supertest, which keeps the path exactly as written. */
  const send = (method: string, path: string, authorization?: string) => {
    const agent = request(app) as unknown as Record<string, (path: string) => request.Test>;
    const test = agent[method.toLowerCase()]!(path);
    return authorization ? test.set("authorization", authorization) : test;
  };

  it("answers no path variant under /api with a 2xx or a 5xx without a token", async () => {
    const seen: string[] = [];
    for (const path of PATH_VARIANTS) {
      for (const method of METHOD_VARIANTS) {
        const res = await send(method, path);
        seen.push(`${method} ${path} ${res.status}`);
        expect([method, path, res.status >= 200 && res.status < 300]).toEqual([method, path, false]);
        expect([method, path, res.status >= 500]).toEqual([method, path, false]);
      }
    }
    expect(seen).toContain("GET /api/v1/me 401");
    expect(seen).toContain("OPTIONS /api/v1/me 401");
  });

  it("with a token, every variant that reaches the handler answers as the token's user", async () => {
    const created = await demo.gate.service.create({ kind: "user", userId: 1 }, { tokenName: "demo paths" });
    if (!created.ok) throw created.error;
    const bearer = `Bearer ${created.value.token}`;
    for (const path of PATH_VARIANTS) {
      for (const method of METHOD_VARIANTS) {
        const res = await send(method, path, bearer);
        expect([method, path, res.status >= 500]).toEqual([method, path, false]);
        // What a handler answered is JSON; an authenticated OPTIONS is the framework's Allow list.
        if (res.status === 200 && method !== "HEAD" && res.type === "application/json") {
          expect([method, path, res.body.userId]).toEqual([method, path, 1]);
          expect(JSON.stringify(res.body)).not.toContain(created.value.token);
        }
      }
    }
  });

  it.each([
    ["DELETE", "/api-tokens/%"],
    ["DELETE", "/api-tokens/%zz"],
    ["POST", "/api-tokens/%/rotate"],
  ])("%s %s is 400 JSON naming id, without a stack (issue 12 item 4)", async (method, path) => {
    const res = await send(method, path, ALICE);
    expect(res.status).toBe(400);
    expect(res.headers["content-type"]).toMatch(/^application\/json/);
    expect(res.body).toMatchObject({ error: "validation_failed", issues: [{ field: "id" }] });
    expect(res.text).not.toMatch(/URIError|node_modules|\s+at\s/);
  });
});
