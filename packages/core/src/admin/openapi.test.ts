import type { z } from "zod";
import type { AdminSessionSchema } from "../lifecycle/schemas";
import { ADMIN_ROUTES } from "./admin";
import { adminOpenApiDocument, openApiAnswer } from "./openapi";
import type { AdminSession } from "./page-answers";

// biome-ignore lint/suspicious/noExplicitAny: the test walks an untyped JSON document by known paths
type Json = Record<string, any>;

// What the session's schema describes is what the router's AdminSession type allows.
const sessionShape: AdminSession = {} as z.infer<typeof AdminSessionSchema>;
void sessionShape;

/** The schema a `$ref` names, from the document's components. */
function resolve(doc: Json, schema: Json): Json {
  if (typeof schema.$ref !== "string") return schema;
  const name = /^#\/components\/schemas\/(\w+)$/.exec(schema.$ref)?.[1];
  if (!name) throw new Error(`not a component reference: ${schema.$ref}`);
  return doc.components.schemas[name];
}

const bodySchema = (doc: Json, content: Json) => resolve(doc, content["application/json"].schema);

describe("adminOpenApiDocument", () => {
  const doc = adminOpenApiDocument() as Json;

  it("is OpenAPI 3.1 and describes every route the router registers, under the mount path", () => {
    expect(doc.openapi).toBe("3.1.0");
    const operations = Object.entries(doc.paths as Json).flatMap(([path, item]) =>
      Object.keys(item as Json).map((method) => `${method.toUpperCase()} ${path}`),
    );
    const registered = ADMIN_ROUTES.map(
      (route) =>
        `${route.method} ${route.path === "/" ? "/api-tokens" : `/api-tokens${route.path.replace(/:(\w+)/g, "{$1}")}`}`,
    );
    expect(operations.sort()).toEqual(registered.sort());
    expect(operations).toEqual(
      expect.arrayContaining([
        "POST /api-tokens",
        "GET /api-tokens",
        "DELETE /api-tokens/{id}",
        "POST /api-tokens/{id}/rotate",
        "GET /api-tokens/openapi.json",
      ]),
    );
    const ids = Object.values(doc.paths as Json).flatMap((item) =>
      Object.values(item as Json).map((op) => (op as Json).operationId),
    );
    expect(ids.sort()).toEqual(ADMIN_ROUTES.map((route) => route.operation).sort());
  });

  it("follows the mount path it is given", () => {
    const mounted = adminOpenApiDocument("/v1/tokens/") as Json;
    expect(Object.keys(mounted.paths)).toEqual(expect.arrayContaining(["/v1/tokens", "/v1/tokens/{id}"]));
    expect(Object.keys(mounted.paths).every((path) => path.startsWith("/v1/tokens"))).toBe(true);
  });

  it("names its bodies as components and refers to them", () => {
    expect(Object.keys(doc.components.schemas).sort()).toEqual(
      [
        "AdminSession",
        "ApiTokenSummary",
        "CreateApiTokenRequest",
        "CreateApiTokenResponse",
        "ErrorResponse",
        "ListApiTokensResponse",
        "ListSecurityEventsResponse",
        "RotateApiTokenRequest",
        "RotateApiTokenResponse",
        "SecurityEvent",
      ].sort(),
    );
    const list = doc.components.schemas.ListApiTokensResponse;
    expect(list.properties.tokens.items).toEqual({ $ref: "#/components/schemas/ApiTokenSummary" });
    expect(doc.paths["/api-tokens"].post.requestBody.content["application/json"].schema).toEqual({
      $ref: "#/components/schemas/CreateApiTokenRequest",
    });
  });

  it("requires tokenName in the create body and refuses unknown fields", () => {
    const schema = bodySchema(doc, doc.paths["/api-tokens"].post.requestBody.content);
    expect(doc.paths["/api-tokens"].post.requestBody.required).toBe(true);
    expect(schema.required).toEqual(["tokenName"]);
    expect(schema.additionalProperties).toBe(false);
    expect(schema.properties.tokenName).toMatchObject({ type: "string", minLength: 3, maxLength: 100 });
    expect(Object.keys(schema.properties).sort()).toEqual([
      "expirationDate",
      "scopes",
      "teamId",
      "tokenName",
    ]);
  });

  it("describes the create answer as { id, token } and never lists a digest", () => {
    const created = bodySchema(doc, doc.paths["/api-tokens"].post.responses["201"].content);
    expect(Object.keys(created.properties).sort()).toEqual(["id", "token"]);
    const summary = doc.components.schemas.ApiTokenSummary;
    expect(summary.properties).not.toHaveProperty("digest");
    expect(summary.properties).not.toHaveProperty("token");
    expect(summary.properties.status).toMatchObject({ enum: ["active", "expired"] });
  });

  it("gives every error status the shared error body", () => {
    let errorAnswers = 0;
    for (const item of Object.values(doc.paths as Json)) {
      for (const operation of Object.values(item as Json)) {
        for (const [status, answer] of Object.entries((operation as Json).responses as Json)) {
          if (Number(status) < 400) continue;
          errorAnswers++;
          expect(answer.content["application/json"].schema).toEqual({
            $ref: "#/components/schemas/ErrorResponse",
          });
        }
      }
    }
    expect(errorAnswers).toBeGreaterThan(20);
    expect(doc.components.schemas.ErrorResponse.required).toEqual(
      expect.arrayContaining(["error", "message"]),
    );
    const del = doc.paths["/api-tokens/{id}"].delete;
    expect(Object.keys(del.responses).sort()).toEqual(["204", "400", "401", "403", "404", "503"]);
  });

  it("documents the id and the query parameters as the wire carries them", () => {
    const [id] = doc.paths["/api-tokens/{id}"].delete.parameters;
    expect(id).toMatchObject({ name: "id", in: "path", required: true, schema: { type: "string" } });
    expect(new RegExp(id.schema.pattern).test("12")).toBe(true);
    expect(new RegExp(id.schema.pattern).test("012")).toBe(false);
    expect(doc.paths["/api-tokens"].get.parameters).toEqual([
      expect.objectContaining({ name: "teamId", in: "query", required: false }),
    ]);
  });

  it("takes an optional rotate body with a bounded grace period", () => {
    const rotate = doc.paths["/api-tokens/{id}/rotate"].post;
    expect(rotate.requestBody.required).toBe(false);
    const grace = bodySchema(doc, rotate.requestBody.content).properties.gracePeriodSeconds;
    expect(grace).toMatchObject({ type: "integer", minimum: 0, maximum: 30 * 24 * 3600 });
  });

  it("requires the application's session except for the page's files and this document", () => {
    expect(doc.security).toEqual([{ session: [] }]);
    expect(doc.components.securitySchemes.session).toMatchObject({ type: "apiKey", in: "cookie" });
    expect(doc.paths["/api-tokens/openapi.json"].get.security).toEqual([]);
    expect(doc.paths["/api-tokens/ui"].get.security).toEqual([]);
    expect(doc.paths["/api-tokens"].post.security).toBeUndefined();
  });

  it("says HTTP Basic when the router challenges with Basic, and takes the app's own scheme", () => {
    const basic = adminOpenApiDocument("/t", { sessionChallenge: 'Basic realm="demo"' }) as Json;
    expect(basic.components.securitySchemes.session).toMatchObject({ type: "http", scheme: "basic" });
    const own = { type: "apiKey", in: "cookie", name: "sid" };
    const mine = adminOpenApiDocument("/t", { securityScheme: own }) as Json;
    expect(mine.components.securitySchemes.session).toEqual(own);
  });

  it("is plain JSON", () => {
    expect(JSON.parse(JSON.stringify(doc))).toEqual(doc);
  });
});

describe("GET <mount>/openapi.json", () => {
  it("answers the document under the mount its own path shows", () => {
    const answer = openApiAnswer("/admin/tokens/openapi.json", {});
    expect(answer.status).toBe(200);
    expect(answer.headers["content-type"]).toBe("application/json; charset=utf-8");
    const doc = JSON.parse(answer.body!) as Json;
    expect(Object.keys(doc.paths)).toEqual(expect.arrayContaining(["/admin/tokens", "/admin/tokens/{id}"]));
  });

  it("answers 404 when the router was mounted with openapi: false", () => {
    const answer = openApiAnswer("/api-tokens/openapi.json", { openapi: false });
    expect(answer.status).toBe(404);
    expect(JSON.parse(answer.body!)).toMatchObject({ error: "not_found" });
  });

  it("documents the router's session as the router was told", () => {
    const scheme = { type: "apiKey", in: "cookie", name: "connect.sid" };
    const answer = openApiAnswer("/api-tokens/openapi.json", { openapi: { securityScheme: scheme } });
    expect((JSON.parse(answer.body!) as Json).components.securitySchemes.session).toEqual(scheme);
  });
});
