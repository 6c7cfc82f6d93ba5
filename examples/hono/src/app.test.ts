import { createTokenGate, type TokenGate } from "@tokengate/core";
import { openSqlite, type SqliteTokenGate } from "@tokengate/sqlite";
import { createApp } from "./main";

let sqlite: SqliteTokenGate;
let gate: TokenGate;
let app: ReturnType<typeof createApp>;

beforeEach(() => {
  sqlite = openSqlite(":memory:");
  sqlite.directory
    .upsertUser({ id: 1, email: "ada@example.com", disabled: false })
    .upsertUser({ id: 2, email: "grace@example.com", disabled: false })
    .upsertTeam({ id: 1, name: "Docs", ownerUserId: 1 })
    .setRole(1, 1, "ADMIN")
    .setRole(1, 2, "MEMBER");
  gate = createTokenGate({ store: sqlite.store, directory: sqlite.directory, usageFlushIntervalMs: false });
  app = createApp({
    gate,
    accounts: [
      { userId: 1, email: "ada@example.com", password: "ada-password" },
      { userId: 2, email: "grace@example.com", password: "grace-password" },
    ],
  });
});

afterEach(async () => {
  await gate.close();
  sqlite.close();
});

const json = (body: unknown, headers: Record<string, string> = {}) => ({
  method: "POST",
  headers: { "content-type": "application/json", ...headers },
  body: JSON.stringify(body),
});

async function signIn(email: string, password: string): Promise<string> {
  const login = await app.request("/login", json({ email, password }));
  expect(login.status).toBe(204);
  return login.headers.get("set-cookie")!.split(";")[0]!;
}

async function createToken(session: string, body: Record<string, unknown>) {
  const response = await app.request("/api-tokens", json(body, { cookie: session }));
  return { status: response.status, body: (await response.json()) as { id: number; token: string } };
}

describe("the Hono documents example", () => {
  it("creates a token through the admin router and uses it to write and read documents", async () => {
    const session = await signIn("ada@example.com", "ada-password");
    const created = await createToken(session, {
      tokenName: "docs sync",
      teamId: 1,
      expirationDate: "90d",
      scopes: ["documents:write"],
    });
    expect(created.status).toBe(201);
    const authorization = `Bearer ${created.body.token}`;

    const written = await app.request("/api/documents", json({ title: "Quarterly plan" }, { authorization }));
    expect(written.status).toBe(201);
    expect(await written.json()).toMatchObject({ title: "Quarterly plan", teamId: 1, authorId: 1 });

    const read = await app.request("/api/documents", { headers: { authorization } });
    expect(read.status).toBe(200);
    const { documents } = (await read.json()) as { documents: Array<{ title: string }> };
    expect(documents.map((d) => d.title)).toEqual(["Quarterly plan"]);
  });

  it("lets a token without documents:write read but not write", async () => {
    const session = await signIn("grace@example.com", "grace-password");
    const created = await createToken(session, { tokenName: "read only" });
    const authorization = `Bearer ${created.body.token}`;

    const read = await app.request("/api/documents", { headers: { authorization } });
    expect(await read.json()).toEqual({ documents: [] });
    const refused = await app.request("/api/documents", json({ title: "x" }, { authorization }));
    expect(refused.status).toBe(403);
    expect(refused.headers.get("www-authenticate")).toContain('error="insufficient_scope"');
  });

  it("keeps the admin router behind the login and stops a revoked token at once", async () => {
    expect((await createToken("session=forged", { tokenName: "no session" })).status).toBe(401);
    expect((await app.request("/login", json({ email: "ada@example.com", password: "nope" }))).status).toBe(
      401,
    );

    const session = await signIn("ada@example.com", "ada-password");
    const created = await createToken(session, { tokenName: "short lived" });
    const authorization = `Bearer ${created.body.token}`;
    expect((await app.request("/api/documents", { headers: { authorization } })).status).toBe(200);

    const revoked = await app.request(`/api-tokens/${created.body.id}`, {
      method: "DELETE",
      headers: { cookie: session },
    });
    expect(revoked.status).toBe(204);
    const after = await app.request("/api/documents", { headers: { authorization } });
    expect(after.status).toBe(401);
    expect(await after.json()).toMatchObject({ error: "invalid_token" });
  });

  it("answers /api without a token with 401 before any handler runs", async () => {
    const response = await app.request("/api/documents", json({ title: "anonymous" }));
    expect(response.status).toBe(401);
    expect(response.headers.get("www-authenticate")).toBe('Bearer realm="api"');
  });

  it("guards every method of /api/documents, and answers a malformed path as JSON (issue 12)", async () => {
    for (const path of ["/api/documents", "/api/documents/"]) {
      for (const method of ["GET", "POST", "OPTIONS", "PROPFIND", "DELETE"]) {
        const response = await app.request(path, { method });
        expect([method, path, response.status]).toEqual([method, path, 401]);
      }
    }
    const session = await signIn("ada@example.com", "ada-password");
    const malformed = await app.request("/api-tokens/%zz", {
      method: "DELETE",
      headers: { cookie: session },
    });
    expect(malformed.status).toBe(400);
    expect(await malformed.json()).toMatchObject({ error: "validation_failed", issues: [{ field: "id" }] });
  });
});
