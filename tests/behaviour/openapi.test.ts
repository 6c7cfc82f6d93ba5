/**
 * The admin router's OpenAPI document as each adapter serves it at `<mount>/openapi.json`: on by
 * default, valid OpenAPI 3.1 (checked by a maintained validator), describing every route the
 * router registers, and gone (404) with `openapi: false`.
 */
import { ADMIN_ROUTES } from "@tokengate/core";
import { validateOpenApi } from "@tokengate/test-support";
import { type Client, HARNESSES } from "./harnesses";
import { createWorld, expectWellFormedFailures, type World, type WorldOptions } from "./world";

// biome-ignore lint/suspicious/noExplicitAny: the test walks an untyped JSON document by known paths
type Json = Record<string, any>;

describe.each(HARNESSES)("GET /api-tokens/openapi.json: $name", (harness) => {
  let world: World;
  let client: Client | undefined;

  async function open(options: WorldOptions = {}): Promise<Client> {
    world = createWorld(options);
    client = await harness.start(world);
    return client;
  }

  afterEach(async () => {
    await client?.close();
    client = undefined;
    expectWellFormedFailures(world);
  });

  it("serves a valid OpenAPI 3.1 document of every route, to a caller with no session", async () => {
    const answer = await (await open()).send({ method: "GET", path: "/api-tokens/openapi.json" });
    expect(answer.status).toBe(200);
    expect(answer.headers["content-type"]).toMatch(/^application\/json/);
    const doc = answer.json as Json;
    expect(await validateOpenApi(doc)).toEqual({ valid: true, version: "3.1", errors: null });
    const operations = Object.entries(doc.paths as Json).flatMap(([path, item]) =>
      Object.keys(item as Json).map((method) => `${method.toUpperCase()} ${path}`),
    );
    for (const route of ADMIN_ROUTES) {
      const path = route.path === "/" ? "/api-tokens" : `/api-tokens${route.path.replace(/:(\w+)/g, "{$1}")}`;
      expect(operations).toContain(`${route.method} ${path}`);
    }
  });

  it("answers 404 with the error body when the router was mounted with openapi: false", async () => {
    const answer = await (await open({ adminSettings: { openapi: false } })).send({
      method: "GET",
      path: "/api-tokens/openapi.json",
    });
    expect(answer.status).toBe(404);
    expect(answer.json).toMatchObject({ error: "not_found" });
  });
});

describe("the OpenAPI validator the suite relies on", () => {
  it("refuses a document that breaks the 3.1 schema or points at a schema that is not there", async () => {
    const info = { title: "t", version: "1" };
    const missingInfo = await validateOpenApi({ openapi: "3.1.0", paths: {} });
    expect(missingInfo.valid).toBe(false);
    const danglingRef = await validateOpenApi({
      openapi: "3.1.0",
      info,
      paths: {
        "/x": {
          get: {
            responses: {
              "200": {
                description: "x",
                content: { "application/json": { schema: { $ref: "#/components/schemas/Nope" } } },
              },
            },
          },
        },
      },
    });
    expect(danglingRef.valid).toBe(false);
  });
});
