/**
 * Path handling under generated requests: every spelling of a path under the gated prefix and
 * under the admin router (case, percent-encoding, dot segments, `//`, trailing slashes, `;`, `%`
 * junk), with every method and with or without credentials, through every harness and every demo
 * app; and the core's own admin path matcher (`matchAdminRoute`, Express's fallback).
 *
 * Held to: never a 5xx; no handler runs without an identity; nothing under the gated prefix
 * answers 2xx without a live token; no token or digest in any answer.
 */
import type { RequestListener } from "node:http";
import { matchAdminRoute } from "@tokengate/core";
import fc from "fast-check";
import request from "supertest";
import { DEMOS, type DemoApp, openDemoApp } from "../behaviour/demo-app";
import { type Client, HARNESSES, MOUNTED_RUNS, SESSION_HEADER } from "../behaviour/harnesses";
import { METHOD_VARIANTS } from "../behaviour/path-variants";
import { createWorld, expectNoSecretLeaks, mintToken, USERS, type World } from "../behaviour/world";
import { idSegment, runs } from "./arbitraries";
import { expectNoSecrets } from "./capture";

/** A path segment: the routes' own words in any case, encodings of them, and junk. */
const segment = fc.oneof(
  fc.constantFrom("v1", "me", "V1", "Me", "ME", "rotate", "ROTATE", "session", "ui", "app.js", "unknown"),
  fc.constantFrom(
    "",
    ".",
    "..",
    "%2e",
    "%2E%2E",
    "%2f",
    "%2F",
    "%00",
    "%zz",
    "%",
    "%E0%A4%A",
    ";x=1",
    "me%20",
    "%6De",
  ),
  idSegment.filter(
    (s) => /^[\x21-\x7E]*$/.test(s) && !s.includes("/") && !s.includes("?") && !s.includes("#"),
  ),
  fc.stringMatching(/^[A-Za-z0-9._~!$&'()*+,;=:@%-]{0,6}$/),
);

const prefix = fc.constantFrom(
  "/api",
  "/API",
  "/Api",
  "//api",
  "/%61pi",
  "/api-tokens",
  "/API-TOKENS",
  "/Api-Tokens",
  "",
);

const query = fc.constantFrom(
  "",
  "",
  "",
  "?x=1",
  "?teamId=10",
  "?teamId=%31%30",
  "?access_token=api_0000000000000000",
  "?__proto__",
);

const path = fc
  .tuple(prefix, fc.array(segment, { maxLength: 4 }), fc.boolean(), query)
  .map(([start, segments, trailing, q]) => {
    const joined = `${start}${segments.map((s) => `/${s}`).join("")}${trailing ? "/" : ""}` || "/";
    return `${joined}${q}`;
  });

const GATED = /^\/+(api|%61pi)(\/|$|\?)/i;

/**
 * Under the gated prefix, as any of the frameworks might match it. A runtime that resolves dot
 * segments first (Hono's, through the URL parser) sees `/api/..` as `/`, the public index: that is
 * another resource, not a way past the gate, since router and gate both see the resolved path.
 */
const underGate = (p: string) => GATED.test(p) && GATED.test(new URL(p, "http://x").pathname);

describe("the core: matchAdminRoute", () => {
  it("takes a route only for the method and shape the route table has, with the raw id", () => {
    const method = fc.constantFrom("GET", "HEAD", "POST", "DELETE", "PUT", "OPTIONS", "get");
    fc.assert(
      fc.property(method, path, (m, p) => {
        const relative = p.replace(/\?.*$/, "").replace(/^\/+(api-tokens|api|%61pi)/i, "") || "/";
        const matched = matchAdminRoute(m, relative);
        if (!matched) return;
        const wanted = m.toUpperCase() === "HEAD" ? "GET" : m.toUpperCase();
        expect(matched.route.method).toBe(wanted);
        const segments = relative
          .replace(/(.)\/$/, "$1")
          .split("/")
          .slice(1);
        expect(segments).toHaveLength(matched.route.path.split("/").length - 1);
        if (matched.route.path.includes(":id")) expect(matched.id).toBe(segments[0]);
        else expect(matched.id).toBeUndefined();
      }),
      runs(1_000),
    );
  });
});

describe.each(HARNESSES)("through $name", (harness) => {
  let world: World;
  let client: Client;
  let live: string;

  beforeAll(async () => {
    world = createWorld();
    live = (await mintToken(world, USERS.alice, { tokenName: "fuzz paths" })).token;
    client = await harness.start(world);
  });

  afterAll(async () => {
    await client.close();
    expectNoSecretLeaks(world);
    await world.gate.close();
  });

  it("never answers 5xx, never runs a handler without an identity, never 2xx under /api without a token", async () => {
    const credential = fc.constantFrom<"none" | "live" | "junk">("none", "none", "live", "junk");
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...METHOD_VARIANTS),
        path,
        credential,
        fc.boolean(),
        async (method, p, cred, session) => {
          const headers: Array<[string, string]> = [];
          if (cred === "live") headers.push(["authorization", `Bearer ${live}`]);
          if (cred === "junk") headers.push(["authorization", "Bearer api_0000000000000000"]);
          if (session) headers.push([SESSION_HEADER, String(USERS.alice)]);
          const body = method === "POST" ? JSON.stringify({ tokenName: "from the fuzzer" }) : undefined;
          if (body) headers.push(["content-type", "application/json"]);
          const res = await client.send({
            method,
            path: p,
            headers,
            ...(body === undefined ? {} : { body }),
          });
          expect({ method, p, status: res.status < 500 }).toEqual({ method, p, status: true });
          if (underGate(p) && cred !== "live" && !/^\/+api-tokens/i.test(p)) {
            expect({ method, p, ok: res.status >= 200 && res.status < 300 }).toEqual({
              method,
              p,
              ok: false,
            });
          }
        },
      ),
      runs(250),
    );
    expect(world.runsOf(MOUNTED_RUNS.anonymous)).toBe(0);
  });
});

describe.each(DEMOS)("the $name demo app", ({ name }) => {
  let demo: DemoApp;
  let app: RequestListener;
  let live: string;

  beforeAll(async () => {
    demo = await openDemoApp(name);
    app = demo.app;
    const created = await demo.gate.service.create({ kind: "user", userId: 1 }, { tokenName: "fuzz demo" });
    if (!created.ok) throw created.error;
    live = created.value.token;
  });

  afterAll(() => demo.close());

  it("never answers 5xx (its handlers read req.auth!), and never 2xx under /api without a token", async () => {
    const texts: string[] = [];
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...METHOD_VARIANTS),
        path,
        fc.boolean(),
        async (method, p, withToken) => {
          const agent = request(app) as unknown as Record<string, (path: string) => request.Test>;
          let test = agent[method.toLowerCase()]!(p);
          if (withToken) test = test.set("authorization", `Bearer ${live}`);
          const res = await test;
          texts.push(`${JSON.stringify(res.headers)} ${res.text ?? ""}`);
          expect({ method, p, status: res.status < 500 }).toEqual({ method, p, status: true });
          if (underGate(p) && !withToken && !/^\/+api-tokens/i.test(p)) {
            expect({ method, p, ok: res.status >= 200 && res.status < 300 }).toEqual({
              method,
              p,
              ok: false,
            });
          }
        },
      ),
      runs(150),
    );
    expectNoSecrets(texts, [live], "a demo answer");
  });
});
