/**
 * The request and response bodies of the admin router, as zod schemas. The router validates with
 * them and the OpenAPI document is generated from them, so the two cannot drift apart.
 */
import { z } from "zod";
import { EXPIRATION_PRESETS, isExpirationPreset } from "./expiration";

// biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what it refuses
const CONTROL = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/;

export const TokenNameSchema = z
  .string({ error: "tokenName must be a string" })
  .trim()
  .min(3, "The token name should be 3 characters or longer")
  .max(100, "The token name should be 100 characters or shorter")
  .refine((name) => !CONTROL.test(name), "The token name must not contain control characters");

// RFC 6749 §3.3 scope-token.
export const ScopeSchema = z
  .string()
  .min(1)
  .max(100)
  .regex(/^[\x21\x23-\x5B\x5D-\x7E]+$/, 'A scope is printable ASCII without spaces, `"` or `\\`');

const ISO_INSTANT = z.iso.datetime({ offset: true, error: "not an ISO-8601 instant" });

const EXPIRATION_MESSAGE = `expirationDate must be null (never), one of ${EXPIRATION_PRESETS.join(", ")}, or an ISO-8601 instant with a time zone, e.g. 2027-01-31T00:00:00Z`;

export const ExpirationDateSchema = z
  // Without its own message the union answers a number (say 30, meant as days) "Invalid input".
  .union([z.null(), z.string()], { error: EXPIRATION_MESSAGE })
  .superRefine((value, ctx) => {
    if (value === null || isExpirationPreset(value)) return;
    if (!ISO_INSTANT.safeParse(value).success) {
      ctx.addIssue({ code: "custom", message: EXPIRATION_MESSAGE });
    }
  })
  .meta({
    description: `null (never expires), a preset (${EXPIRATION_PRESETS.join(", ")}) or an ISO-8601 instant in the future`,
  });

export const TeamIdSchema = z.number({ error: "teamId must be a number" }).int().positive();

export const CreateApiTokenRequestSchema = z.strictObject({
  tokenName: TokenNameSchema,
  teamId: TeamIdSchema.nullable().optional(),
  /** Omitted means never, as null does. */
  expirationDate: ExpirationDateSchema.optional(),
  scopes: z.array(ScopeSchema).max(50).optional(),
});
export type CreateApiTokenRequest = z.input<typeof CreateApiTokenRequestSchema>;

export const CreateApiTokenResponseSchema = z.object({
  id: z.number().int(),
  token: z.string().meta({ description: "The plain token. Shown this once; only its digest is stored." }),
});
export type CreateApiTokenResponse = z.infer<typeof CreateApiTokenResponseSchema>;

export const ApiTokenStatusSchema = z.enum(["active", "expired"]);

export const ApiTokenSummarySchema = z.object({
  id: z.number().int(),
  name: z.string(),
  teamId: z.number().int().nullable(),
  createdAt: z.iso.datetime(),
  expiresAt: z.iso.datetime().nullable(),
  status: ApiTokenStatusSchema,
  lastUsedAt: z.iso.datetime().nullable(),
  createdBy: z.number().int().nullable(),
  scopes: z.array(z.string()),
  replacedById: z.number().int().nullable(),
  usage: z
    .object({
      requests: z.number().int(),
      rateLimited: z.number().int(),
      lastUsedAt: z.iso.datetime().nullable(),
    })
    .optional()
    .meta({ description: "Counted by the rate limiter's store, when the deployment has one" }),
});
export type ApiTokenSummary = z.infer<typeof ApiTokenSummarySchema>;

export const ListApiTokensQuerySchema = z.strictObject({
  teamId: z
    .string()
    .regex(/^[1-9][0-9]{0,15}$/, "teamId must be a positive integer")
    .transform(Number)
    .optional(),
});

export const ListApiTokensResponseSchema = z.object({ tokens: z.array(ApiTokenSummarySchema) });
export type ListApiTokensResponse = z.infer<typeof ListApiTokensResponseSchema>;

export const TokenIdParamSchema = z
  .string()
  .regex(/^[1-9][0-9]{0,15}$/, "id must be a positive integer")
  .transform(Number);

/** Thirty days: a longer overlap is a second token, not a rotation. */
export const MAX_GRACE_SECONDS = 30 * 24 * 3600;

export const RotateApiTokenRequestSchema = z.strictObject({
  gracePeriodSeconds: z
    .number({ error: "gracePeriodSeconds must be a number" })
    .int()
    .min(0)
    .max(MAX_GRACE_SECONDS)
    .optional()
    .meta({ description: "How long the old token keeps working (never past its own expiry). Default 0." }),
  expirationDate: ExpirationDateSchema.optional().meta({
    description: "The new token's expiry. Default: the old token's lifetime, counted from now.",
  }),
});
export type RotateApiTokenRequest = z.input<typeof RotateApiTokenRequestSchema>;

export const RotateApiTokenResponseSchema = z.object({
  id: z.number().int(),
  token: z.string(),
  previous: z.object({ id: z.number().int(), expiresAt: z.iso.datetime().nullable() }),
});
export type RotateApiTokenResponse = z.infer<typeof RotateApiTokenResponseSchema>;

export const ErrorResponseSchema = z.object({
  error: z.string().meta({ description: "A stable machine-readable code" }),
  message: z.string(),
  issues: z.array(z.object({ field: z.string(), message: z.string() })).optional(),
  scope: z.string().optional(),
});
