import { type AdminCall, type AdminOperation, createTokenGate, MemoryDirectory, MemoryTokenStore } from "..";
import type { Directory } from "../ports/types";
import { isCrossOriginRequest } from "./cross-site";

/** The headers these cases send, by the field they are written as. */
interface SentHeaders {
  readonly origin?: string | undefined;
  readonly host?: string | undefined;
  readonly secFetchSite?: string | undefined;
}

/** The `header(name)` the cross-site check asks. */
const headersOf = ({ origin, host, secFetchSite }: SentHeaders) =>
  ({ origin, host, "sec-fetch-site": secFetchSite }) as Readonly<Record<string, string | undefined>>;

type Extra = Partial<Omit<AdminCall, "header">> & SentHeaders;

function setup(directory: Directory = demoDirectory()) {
  const gate = createTokenGate({ store: new MemoryTokenStore(), directory, usageFlushIntervalMs: false });
  const call = (operation: AdminOperation, { origin, host, secFetchSite, ...extra }: Extra = {}) => {
    const headers = headersOf({ origin, host, secFetchSite });
    return gate.admin.handle({
      operation,
      query: "",
      body: { kind: "absent" },
      actorUserId: 1,
      scheme: "https",
      header: (name) => headers[name],
      ...extra,
    });
  };
  const create = (extra: Extra = {}) =>
    call("create", {
      contentType: "application/json",
      body: { kind: "text", text: JSON.stringify({ tokenName: "deploys", expirationDate: "30d" }) },
      ...extra,
    });
  const names = async () => {
    const listed = await call("list");
    return (JSON.parse(listed.body!) as { tokens: Array<{ name: string }> }).tokens.map((t) => t.name);
  };
  return { gate, call, create, names };
}

function demoDirectory(): MemoryDirectory {
  return new MemoryDirectory()
    .upsertUser({ id: 1, name: "alice", disabled: false })
    .upsertUser({ id: 2, name: "bob", disabled: true })
    .upsertTeam({ id: 7, name: "acme", ownerUserId: 1 })
    .upsertTeam({ id: 9, name: "globex", ownerUserId: 3 })
    .setRole(7, 1, "ADMIN")
    .setRole(9, 1, "MEMBER");
}

describe("the token page's files", () => {
  // The core holds no markup: the routers hand it @tokengate/admin-page's files (tested there).
  const files = { page: "<!doctype html><title>p</title>", pageScript: "void 0;", pageStyle: "p{}" };
  const pageFiles = () => files;

  it("are not served unless the router turns the page on", async () => {
    const { call } = setup();
    const answer = await call("page", { settings: { pageFiles } });
    expect(answer.status).toBe(404);
    expect(JSON.parse(answer.body!)).toMatchObject({ error: "not_found" });
  });

  it("are served with their types and a policy that runs only the page's own script", async () => {
    const { call } = setup();
    const settings = { page: true, pageFiles };
    const page = await call("page", { settings, actorUserId: null });
    expect(page.status).toBe(200);
    expect(page.body).toBe(files.page);
    expect(page.headers["content-type"]).toBe("text/html; charset=utf-8");
    expect(page.headers["content-security-policy"]).toContain("script-src 'self'");
    expect(page.headers["content-security-policy"]).toContain("frame-ancestors 'none'");
    expect(page.headers["content-security-policy"]).not.toContain("unsafe-inline");
    expect(page.headers["x-frame-options"]).toBe("DENY");
    expect(page.headers["x-content-type-options"]).toBe("nosniff");
    expect(page.headers["cache-control"]).toBe("no-cache");

    const script = await call("pageScript", { settings });
    expect(script.headers["content-type"]).toBe("text/javascript; charset=utf-8");
    expect(script.body).toBe(files.pageScript);
    const style = await call("pageStyle", { settings });
    expect(style.headers["content-type"]).toBe("text/css; charset=utf-8");
    expect(style.body).toBe(files.pageStyle);
  });

  it("are read on the first request for them, not when the router is mounted", async () => {
    const { call } = setup();
    const reads: string[] = [];
    const settings = {
      page: true,
      pageFiles: () => {
        reads.push("read");
        return files;
      },
    };
    await call("list", { settings });
    expect(reads).toEqual([]);
    await call("pageStyle", { settings });
    expect(reads).toEqual(["read"]);
  });
});

describe("GET /session", () => {
  it("names the user and says which of their teams they may manage", async () => {
    const answer = await setup().call("session");
    expect(answer.status).toBe(200);
    expect(JSON.parse(answer.body!)).toEqual({
      user: { id: 1, name: "alice" },
      teams: [
        { id: 7, name: "acme", role: "ADMIN", canManage: true },
        { id: 9, name: "globex", role: "MEMBER", canManage: false },
      ],
    });
  });

  it("answers teams null when the directory cannot list a user's teams", async () => {
    const full = demoDirectory();
    const directory: Directory = {
      name: "no-listing",
      findUser: (id) => full.findUser(id),
      findTeam: (id) => full.findTeam(id),
      findRole: (team, user) => full.findRole(team, user),
    };
    const answer = await setup(directory).call("session");
    expect(JSON.parse(answer.body!)).toEqual({ user: { id: 1, name: "alice" }, teams: null });
  });

  it("refuses a signed-out caller with 401, and a disabled user with 403", async () => {
    const { call } = setup();
    expect((await call("session", { actorUserId: null })).status).toBe(401);
    const disabled = await call("session", { actorUserId: 2 });
    expect(disabled.status).toBe(403);
    expect(JSON.parse(disabled.body!).message).toBe("Your account is disabled");
  });

  it("challenges with the app's session scheme when the router is given one", async () => {
    const { call } = setup();
    const settings = { sessionChallenge: 'Basic realm="demo"' };
    const answer = await call("session", { actorUserId: null, settings });
    expect(answer.status).toBe(401);
    expect(answer.headers["www-authenticate"]).toBe('Basic realm="demo"');
    expect((await call("session", { settings })).headers["www-authenticate"]).toBeUndefined();
  });
});

describe("cross-site request forgery", () => {
  it("refuses a state-changing call from another origin, and creates nothing", async () => {
    const { create, names } = setup();
    for (const headers of [
      { origin: "http://evil.example", host: "tokens.example" },
      { origin: "http://127.0.0.1:4000", host: "127.0.0.1:3000" },
      { origin: "https://tokens.example", host: "tokens.example:8443" },
      { origin: "null", host: "tokens.example" },
      { secFetchSite: "cross-site" },
      { secFetchSite: "same-site", origin: "https://tokens.example", host: "tokens.example" },
    ]) {
      const answer = await create(headers);
      expect([answer.status, JSON.parse(answer.body!).error]).toEqual([403, "csrf_rejected"]);
    }
    expect(await names()).toEqual([]);
  });

  it("refuses delete and rotate from another origin too", async () => {
    const { call, create, names } = setup();
    const { id } = JSON.parse((await create()).body!) as { id: number };
    const foreign = { id: String(id), origin: "http://evil.example", host: "tokens.example" };
    expect((await call("delete", foreign)).status).toBe(403);
    expect((await call("rotate", foreign)).status).toBe(403);
    expect(await names()).toEqual(["deploys"]);
  });

  it("lets through the page's own requests and clients that are not browsers", async () => {
    const { create, names } = setup();
    expect((await create({ origin: "https://tokens.example", host: "tokens.example" })).status).toBe(201);
    expect((await create({ origin: "https://tokens.example:443", host: "tokens.example" })).status).toBe(201);
    expect(
      (await create({ secFetchSite: "same-origin", origin: "http://a:3000", host: "a:3000", scheme: "http" }))
        .status,
    ).toBe(201);
    expect((await create({ secFetchSite: "none" })).status).toBe(201);
    expect((await create({})).status).toBe(201);
    expect(await names()).toHaveLength(5);
  });

  it("answers reads from another origin: without CORS the browser keeps the answer from that site", async () => {
    const { call } = setup();
    expect((await call("list", { origin: "http://evil.example", host: "tokens.example" })).status).toBe(200);
    const headers = headersOf({ origin: "HTTP://Tokens.Example", host: "tokens.example" });
    expect(isCrossOriginRequest({ scheme: "http", header: (name) => headers[name] })).toBe(false);
  });
});
