import { adminOpenApiDocument } from "./openapi";

// biome-ignore lint/suspicious/noExplicitAny: the test walks an untyped JSON document by known paths
type Json = Record<string, any>;

describe("adminOpenApiDocument", () => {
  const doc = adminOpenApiDocument() as Json;

  it("is OpenAPI 3.1 with the four admin operations under the mount path", () => {
    expect(doc.openapi).toBe("3.1.0");
    const operations = Object.entries(doc.paths as Json).flatMap(([path, item]) =>
      Object.keys(item as Json).map((method) => `${method.toUpperCase()} ${path}`),
    );
    expect(operations.sort()).toEqual(
      [
        "POST /api-tokens",
        "GET /api-tokens",
        "DELETE /api-tokens/{id}",
        "POST /api-tokens/{id}/rotate",
      ].sort(),
    );
  });

  it("follows the mount path it is given", () => {
    const mounted = adminOpenApiDocument("/v1/tokens") as Json;
    expect(Object.keys(mounted.paths).sort()).toEqual([
      "/v1/tokens",
      "/v1/tokens/{id}",
      "/v1/tokens/{id}/rotate",
    ]);
  });

  it("requires tokenName in the create body and refuses unknown fields", () => {
    const schema = doc.paths["/api-tokens"].post.requestBody.content["application/json"].schema;
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
    const created = doc.paths["/api-tokens"].post.responses["201"].content["application/json"].schema;
    expect(Object.keys(created.properties).sort()).toEqual(["id", "token"]);
    const listed = doc.paths["/api-tokens"].get.responses["200"].content["application/json"].schema;
    const summary = listed.properties.tokens.items;
    expect(summary.properties).not.toHaveProperty("digest");
    expect(summary.properties).not.toHaveProperty("token");
    expect(summary.properties.status).toMatchObject({ enum: ["active", "expired"] });
  });

  it("documents the error answers with the shared error body", () => {
    const del = doc.paths["/api-tokens/{id}"].delete;
    expect(Object.keys(del.responses).sort()).toEqual(["204", "400", "401", "403", "404", "503"]);
    const error = del.responses["404"].content["application/json"].schema;
    expect(error.required).toEqual(expect.arrayContaining(["error", "message"]));
  });

  it("takes an optional rotate body with a bounded grace period", () => {
    const rotate = doc.paths["/api-tokens/{id}/rotate"].post;
    expect(rotate.requestBody.required).toBe(false);
    const grace = rotate.requestBody.content["application/json"].schema.properties.gracePeriodSeconds;
    expect(grace).toMatchObject({ type: "integer", minimum: 0, maximum: 30 * 24 * 3600 });
  });

  it("is plain JSON", () => {
    expect(JSON.parse(JSON.stringify(doc))).toEqual(doc);
  });
});
