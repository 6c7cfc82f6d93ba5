import { z } from "zod";
import {
  CreateApiTokenRequestSchema,
  CreateApiTokenResponseSchema,
  ErrorResponseSchema,
  ListApiTokensResponseSchema,
  MAX_ID,
  RotateApiTokenRequestSchema,
  RotateApiTokenResponseSchema,
} from "./schemas";

const json = (schema: z.ZodType, io: "input" | "output") => ({
  "application/json": { schema: z.toJSONSchema(schema, { io, unrepresentable: "any" }) },
});

const errors = (...statuses: number[]) =>
  Object.fromEntries(
    statuses.map((s) => [
      String(s),
      { description: `Error ${s}`, content: json(ErrorResponseSchema, "output") },
    ]),
  );

/**
 * The admin router's OpenAPI 3.1 document, generated from the same zod schemas the router
 * validates with.
 * @param basePath where the router is mounted, e.g. "/api-tokens".
 */
export function adminOpenApiDocument(basePath = "/api-tokens"): Record<string, unknown> {
  const idParam = {
    name: "id",
    in: "path",
    required: true,
    schema: { type: "integer", minimum: 1, maximum: MAX_ID },
  };
  return {
    openapi: "3.1.0",
    info: { title: "tokengate admin API", version: "1" },
    paths: {
      [basePath]: {
        post: {
          summary: "Create a token (the plain token is in this response only)",
          requestBody: { required: true, content: json(CreateApiTokenRequestSchema, "input") },
          responses: {
            "201": { description: "Created", content: json(CreateApiTokenResponseSchema, "output") },
            ...errors(400, 401, 403, 503),
          },
        },
        get: {
          summary: "List a team's tokens (teamId) or your personal ones",
          parameters: [
            {
              name: "teamId",
              in: "query",
              required: false,
              schema: { type: "integer", minimum: 1, maximum: MAX_ID },
            },
          ],
          responses: {
            "200": { description: "Tokens", content: json(ListApiTokensResponseSchema, "output") },
            ...errors(400, 401, 403, 503),
          },
        },
      },
      [`${basePath}/{id}`]: {
        delete: {
          summary: "Revoke a token at once, on every instance",
          parameters: [idParam],
          responses: { "204": { description: "Revoked" }, ...errors(400, 401, 403, 404, 503) },
        },
      },
      [`${basePath}/{id}/rotate`]: {
        post: {
          summary: "Issue a successor; the old token keeps working for the grace period",
          parameters: [idParam],
          requestBody: { required: false, content: json(RotateApiTokenRequestSchema, "input") },
          responses: {
            "201": { description: "Rotated", content: json(RotateApiTokenResponseSchema, "output") },
            ...errors(400, 401, 403, 404, 503),
          },
        },
      },
    },
  };
}
