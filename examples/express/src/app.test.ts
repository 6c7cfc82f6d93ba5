import { createTokenGate, type TokenGate } from "@tokengate/core";
import { openSqlite, type SqliteTokenGate } from "@tokengate/sqlite";
import request from "supertest";
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

async function signIn(email: string, password: string): Promise<string> {
  const login = await request(app).post("/login").send({ email, password }).expect(204);
  return login.headers["set-cookie"]![0]!.split(";")[0]!;
}

function createToken(session: string, body: Record<string, unknown>) {
  return request(app).post("/api-tokens").set("cookie", session).send(body);
}

describe("the Express documents example", () => {
  it("creates a token through the admin router and uses it to write and read documents", async () => {
    const session = await signIn("ada@example.com", "ada-password");
    const created = await createToken(session, {
      tokenName: "docs sync",
      teamId: 1,
      expirationDate: "90d",
      scopes: ["documents:write"],
    });
    expect(created.status).toBe(201);
    const bearer = `Bearer ${created.body.token as string}`;

    const written = await request(app)
      .post("/api/documents")
      .set("authorization", bearer)
      .send({ title: "Quarterly plan", body: "…" });
    expect(written.status).toBe(201);
    expect(written.body).toMatchObject({ title: "Quarterly plan", teamId: 1, authorId: 1 });

    const read = await request(app).get("/api/documents").set("authorization", bearer);
    expect(read.status).toBe(200);
    expect(read.body.documents.map((d: { title: string }) => d.title)).toEqual(["Quarterly plan"]);
  });

  it("lets a token without documents:write read but not write", async () => {
    const session = await signIn("grace@example.com", "grace-password");
    const created = await createToken(session, { tokenName: "read only" });
    const bearer = `Bearer ${created.body.token as string}`;

    await request(app).get("/api/documents").set("authorization", bearer).expect(200, { documents: [] });
    const refused = await request(app)
      .post("/api/documents")
      .set("authorization", bearer)
      .send({ title: "x" });
    expect(refused.status).toBe(403);
    expect(refused.headers["www-authenticate"]).toContain('error="insufficient_scope"');
  });

  it("keeps the admin router behind the login and stops a revoked token at once", async () => {
    await createToken("session=forged", { tokenName: "no session" }).expect(401);
    await request(app).post("/login").send({ email: "ada@example.com", password: "nope" }).expect(401);

    const session = await signIn("ada@example.com", "ada-password");
    const created = await createToken(session, { tokenName: "short lived" });
    const bearer = `Bearer ${created.body.token as string}`;
    await request(app).get("/api/documents").set("authorization", bearer).expect(200);

    await request(app)
      .delete(`/api-tokens/${created.body.id as number}`)
      .set("cookie", session)
      .expect(204);
    const after = await request(app).get("/api/documents").set("authorization", bearer);
    expect(after.status).toBe(401);
    expect(after.body).toMatchObject({ error: "invalid_token" });
  });

  it("answers /api without a token with 401 before any handler runs", async () => {
    const response = await request(app).post("/api/documents").send({ title: "anonymous" });
    expect(response.status).toBe(401);
    expect(response.headers["www-authenticate"]).toBe('Bearer realm="api"');
  });

  it("guards every spelling and method of /api/documents (issue 12)", async () => {
    for (const path of ["/api/documents", "/API/documents", "/Api/Documents/", "/api/documents/"]) {
      for (const method of ["get", "post", "options", "propfind", "delete"] as const) {
        const response = await request(app)[method](path);
        expect([method, path, response.status]).toEqual([method, path, 401]);
      }
    }
  });

  it("answers a malformed body or path as JSON, never with Express's stack page", async () => {
    const login = await request(app).post("/login").set("content-type", "application/json").send("{");
    expect(login.status).toBe(400);
    expect(login.body).toEqual({ error: "invalid_request", message: "The request is malformed" });
    expect(login.text).not.toMatch(/SyntaxError|node_modules|\s+at\s/);

    const session = await signIn("ada@example.com", "ada-password");
    const malformed = await request(app).delete("/api-tokens/%zz").set("cookie", session);
    expect(malformed.status).toBe(400);
    expect(malformed.headers["content-type"]).toMatch(/^application\/json/);
    expect(malformed.body).toMatchObject({ error: "validation_failed", issues: [{ field: "id" }] });
    expect(malformed.text).not.toMatch(/URIError|node_modules|\s+at\s/);
  });
});
