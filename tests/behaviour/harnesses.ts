/**
 * One app, four ways to reach it. Each harness builds the same routes on its framework from a shared
 * `World` and returns a client that sends a framework-neutral request. Adding a harness is adding one
 * object to `HARNESSES`.
 *
 * Over 300 lines, and kept whole: the three apps must stay route for route the same, which is
 * easiest to check with them side by side.
 */
import { request as httpRequest, type RequestListener } from "node:http";
import type { AddressInfo } from "node:net";
import { getRequestListener, serve } from "@hono/node-server";
import Router from "@koa/router";
import type { Actor, AuthIdentity } from "@tokengate/core";
import { tokenAdminRouter as expressAdmin, tokengate as expressGate } from "@tokengate/express";
import { tokenAdminRouter as honoAdmin, tokengate as honoGate, type TokenGateEnv } from "@tokengate/hono";
import { tokenAdminRouter as koaAdmin, tokengate as koaGate, protectRouter } from "@tokengate/koa";
import express from "express";
import { type Context, Hono } from "hono";
import Koa from "koa";
import supertest from "supertest";
import { type AppWorld, WRITE_SCOPE } from "./world";

/** Any method Node's HTTP parser accepts: the path-variant tests send PROPFIND and OPTIONS too. */
export type Method = string;

/** A request as the tests write it. Header lines go out in order and a name may repeat. */
export interface BehaviourRequest {
  readonly method: Method;
  readonly path: string;
  readonly headers?: ReadonlyArray<readonly [string, string]>;
  readonly body?: string;
}

export interface BehaviourResponse {
  readonly status: number;
  /** Lower-case names. */
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string;
  /** The body parsed as JSON, or undefined when it is empty or not JSON. */
  readonly json: unknown;
}

export interface Client {
  send(request: BehaviourRequest): Promise<BehaviourResponse>;
  close(): Promise<void>;
}

export interface Harness {
  readonly name: string;
  start(world: AppWorld): Promise<Client>;
}

/** The routes every app serves, with the middleware options each one mounts. */
export const ROUTES = {
  protected: "/protected",
  scoped: "/scoped",
  optional: "/optional",
  /**
   * Under `/api`, the gate is mounted on the prefix the way each framework's README says
   * (`app.use("/api", …)`, `protectRouter`, `app.use("/api/*", …)`), with a GET route here and a
   * catch-all handler for every other path and method under `/api`.
   */
  mounted: "/api/v1/me",
} as const;

/** The counter every handler under `/api` bumps: `mounted` with an identity, `mounted anonymous` without. */
export const MOUNTED_RUNS = { identified: "mounted", anonymous: "mounted anonymous" } as const;

function countMounted(world: AppWorld, auth: AuthIdentity | undefined): { auth: AuthIdentity | null } {
  world.countRun(auth ? MOUNTED_RUNS.identified : MOUNTED_RUNS.anonymous);
  return answerOf(auth);
}

/** The header that stands in for the application's session in these apps. */
export const SESSION_HEADER = "x-test-user";

function actorFrom(value: string | undefined): Actor {
  if (!value || !/^[0-9]+$/.test(value)) return null;
  return { userId: Number(value) };
}

/** What every protected handler answers: who the request acts as, or null when anonymous. */
function answerOf(auth: AuthIdentity | undefined): { auth: AuthIdentity | null } {
  return { auth: auth ?? null };
}

function parseJson(text: string): unknown {
  if (text === "") return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

function responseOf(status: number, headers: Record<string, string>, body: string): BehaviourResponse {
  return { status, headers, body, json: parseJson(body) };
}

/** Node header maps can hold arrays (set-cookie); the tests read single values. */
function flattenHeaders(
  headers: Record<string, string | string[] | number | undefined>,
): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value === undefined) continue;
    out[name.toLowerCase()] = Array.isArray(value) ? value.join(", ") : String(value);
  }
  return out;
}

/** Groups repeated header lines so Node's client sends each as its own line. */
function groupedHeaders(request: BehaviourRequest): Map<string, string[]> {
  const grouped = new Map<string, string[]>();
  for (const [name, value] of request.headers ?? []) {
    const key = name.toLowerCase();
    grouped.set(key, [...(grouped.get(key) ?? []), value]);
  }
  return grouped;
}

type SupertestAgent = ReturnType<typeof supertest>;

/** Sends through supertest, for the Node-callback frameworks (Express, Koa). */
async function viaSupertest(
  target: Parameters<typeof supertest>[0],
  request: BehaviourRequest,
): Promise<BehaviourResponse> {
  const agent = supertest(target);
  // supertest has a method per entry of Node's http.METHODS, named in lower case.
  const start = (agent as unknown as Record<string, SupertestAgent["get"]>)[request.method.toLowerCase()];
  if (!start) throw new Error(`supertest cannot send ${request.method}`);
  let test = start.call(agent, request.path);
  for (const [name, values] of groupedHeaders(request)) {
    // An array makes Node's client write one header line per value: a real duplicate header.
    test = test.set(name, (values.length === 1 ? values[0]! : values) as string);
  }
  if (request.body !== undefined) test = test.send(request.body);
  // Keep the raw text whatever the content type, so the leak check sees exactly what was sent.
  const res = await test.buffer(true).parse((response, callback) => {
    let text = "";
    response.setEncoding("utf8");
    response.on("data", (chunk: string) => {
      text += chunk;
    });
    response.on("end", () => callback(null, text));
  });
  return responseOf(
    res.status,
    flattenHeaders(res.headers as Record<string, string>),
    String(res.body ?? ""),
  );
}

function expressApp(world: AppWorld): express.Express {
  const { gate } = world;
  const app = express();
  app.get(ROUTES.protected, expressGate(gate), (req, res) => {
    world.countRun(ROUTES.protected);
    res.json(answerOf(req.auth));
  });
  app.get(ROUTES.scoped, expressGate(gate, { scopes: [WRITE_SCOPE] }), (req, res) => {
    world.countRun(ROUTES.scoped);
    res.json(answerOf(req.auth));
  });
  app.get(ROUTES.optional, expressGate(gate, { optional: true }), (req, res) => {
    world.countRun(ROUTES.optional);
    res.json(answerOf(req.auth));
  });
  app.use(
    "/api-tokens",
    expressAdmin(gate, { ...world.adminSettings, getActor: (req) => actorFrom(req.get(SESSION_HEADER)) }),
  );
  app.use("/api", expressGate(gate));
  app.get(ROUTES.mounted, (req, res) => {
    res.json(countMounted(world, req.auth));
  });
  app.all("/api/{*rest}", (req, res) => {
    res.json(countMounted(world, req.auth));
  });
  return app;
}

function koaApp(world: AppWorld): Koa {
  const { gate } = world;
  const app = new Koa();
  const router = new Router();
  router.get(ROUTES.protected, koaGate(gate), (ctx) => {
    world.countRun(ROUTES.protected);
    ctx.body = answerOf(ctx.state.auth);
  });
  router.get(ROUTES.scoped, koaGate(gate, { scopes: [WRITE_SCOPE] }), (ctx) => {
    world.countRun(ROUTES.scoped);
    ctx.body = answerOf(ctx.state.auth);
  });
  router.get(ROUTES.optional, koaGate(gate, { optional: true }), (ctx) => {
    world.countRun(ROUTES.optional);
    ctx.body = answerOf(ctx.state.auth);
  });
  app.use(
    koaAdmin(gate, {
      ...world.adminSettings,
      prefix: "/api-tokens",
      getActor: (ctx) => actorFrom(ctx.get(SESSION_HEADER)),
    }),
  );
  app.use(router.routes());
  const api = protectRouter(new Router({ prefix: "/api" }), gate);
  api.get(ROUTES.mounted.slice("/api".length), (ctx) => {
    ctx.body = countMounted(world, ctx.state.auth);
  });
  api.all("{/*rest}", (ctx) => {
    ctx.body = countMounted(world, ctx.state.auth);
  });
  app.use(api.routes()).use(api.allowedMethods());
  return app;
}

/**
 * `app.request` has no socket: the app names a loopback peer, as an app on a runtime without
 * @hono/node-server passes its runtime's client address (`clientAddress`).
 */
function honoPeer(c: Context): string {
  const incoming = (c.env as { incoming?: { socket?: { remoteAddress?: string } } } | undefined)?.incoming;
  return incoming?.socket?.remoteAddress ?? "127.0.0.1";
}

function honoApp(world: AppWorld): Hono<TokenGateEnv> {
  const { gate } = world;
  const app = new Hono<TokenGateEnv>();
  app.get(ROUTES.protected, honoGate(gate), (c) => {
    world.countRun(ROUTES.protected);
    return c.json(answerOf(c.get("auth")));
  });
  app.get(ROUTES.scoped, honoGate(gate, { scopes: [WRITE_SCOPE] }), (c) => {
    world.countRun(ROUTES.scoped);
    return c.json(answerOf(c.get("auth")));
  });
  app.get(ROUTES.optional, honoGate(gate, { optional: true }), (c) => {
    world.countRun(ROUTES.optional);
    return c.json(answerOf(c.get("auth")));
  });
  app.route(
    "/api-tokens",
    honoAdmin(gate, {
      ...world.adminSettings,
      clientAddress: honoPeer,
      getActor: (c) => actorFrom(c.req.header(SESSION_HEADER)),
    }),
  );
  app.use("/api/*", honoGate(gate));
  app.get(ROUTES.mounted, (c) => c.json(countMounted(world, c.get("auth"))));
  app.all("/api/*", (c) => c.json(countMounted(world, c.get("auth"))));
  return app;
}

/**
 * Each framework's app as a Node request listener, for tests that need a real socket (a client
 * that sends a body one byte at a time, then watches the connection close).
 */
export const NODE_APPS: ReadonlyArray<{ readonly name: string; listener(world: AppWorld): RequestListener }> =
  [
    { name: "express", listener: (world) => expressApp(world) },
    { name: "koa", listener: (world) => koaApp(world).callback() },
    { name: "hono", listener: (world) => getRequestListener(honoApp(world).fetch) },
  ];

async function fromFetchResponse(res: Response): Promise<BehaviourResponse> {
  const headers: Record<string, string> = {};
  res.headers.forEach((value, name) => {
    headers[name] = value;
  });
  return responseOf(res.status, headers, await res.text());
}

/** Sends with node:http so repeated header lines reach the server as sent. */
function viaNodeHttp(port: number, request: BehaviourRequest): Promise<BehaviourResponse> {
  // Header lines go out exactly as given, so Host is added only when the test sent none.
  const raw: string[] = ["connection", "close"];
  if (!(request.headers ?? []).some(([name]) => name.toLowerCase() === "host"))
    raw.push("host", `127.0.0.1:${port}`);
  for (const [name, value] of request.headers ?? []) raw.push(name, value);
  const body = request.body === undefined ? undefined : Buffer.from(request.body);
  if (body) raw.push("content-length", String(body.length));
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      { host: "127.0.0.1", port, method: request.method, path: request.path, headers: raw, agent: false },
      (res) => {
        let text = "";
        res.setEncoding("utf8");
        res.on("data", (chunk: string) => {
          text += chunk;
        });
        res.on("end", () => resolve(responseOf(res.statusCode ?? 0, flattenHeaders(res.headers), text)));
        res.on("error", reject);
      },
    );
    req.on("error", reject);
    req.end(body);
  });
}

/** Records every response on the world, for the leak check that runs after each test. */
function recording(world: AppWorld, client: Client): Client {
  return {
    async send(request) {
      const response = await client.send(request);
      // Tokens minted through a router join the set the leak check searches for.
      const minted = (response.json as { token?: unknown } | undefined)?.token;
      if (typeof minted === "string") world.plainTokens.add(minted);
      world.responses.push({
        method: request.method,
        path: request.path,
        status: response.status,
        headers: response.headers,
        body: response.body,
      });
      return response;
    },
    close: () => client.close(),
  };
}

export const expressHarness: Harness = {
  name: "express (supertest)",
  async start(world) {
    const app = expressApp(world);
    return recording(world, { send: (request) => viaSupertest(app, request), close: async () => {} });
  },
};

export const koaHarness: Harness = {
  name: "koa (supertest)",
  async start(world) {
    const callback = koaApp(world).callback();
    return recording(world, { send: (request) => viaSupertest(callback, request), close: async () => {} });
  },
};

export const honoRequestHarness: Harness = {
  name: "hono (app.request)",
  async start(world) {
    const app = honoApp(world);
    return recording(world, {
      async send(request) {
        const init: RequestInit = {
          method: request.method,
          headers: (request.headers ?? []).map(([n, v]) => [n, v]),
        };
        if (request.body !== undefined) init.body = request.body;
        return fromFetchResponse(await app.request(request.path, init));
      },
      close: async () => {},
    });
  },
};

export const honoNodeHarness: Harness = {
  name: "hono (@hono/node-server)",
  async start(world) {
    const app = honoApp(world);
    const { server, port } = await new Promise<{ server: ReturnType<typeof serve>; port: number }>(
      (resolve) => {
        const server = serve({ fetch: app.fetch, port: 0, hostname: "127.0.0.1" }, (info: AddressInfo) =>
          resolve({ server, port: info.port }),
        );
      },
    );
    return recording(world, {
      send: (request) => viaNodeHttp(port, request),
      close: () =>
        new Promise<void>((resolve, reject) => {
          if ("closeAllConnections" in server) server.closeAllConnections();
          server.close((error) => (error ? reject(error) : resolve()));
        }),
    });
  },
};

/** Every harness the behaviour suite runs against. */
export const HARNESSES: readonly Harness[] = [
  expressHarness,
  koaHarness,
  honoRequestHarness,
  honoNodeHarness,
];
