/**
 * The request and response bodies of the admin router, as zod schemas. The router validates with
 * them and the OpenAPI document is generated from them, so the two cannot drift apart.
 */
import { z } from "zod";
import { SCOPE_TOKEN } from "../verify/scopes";
import { EXPIRATION_PRESETS, isExpirationPreset } from "./expiration";

// biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what it refuses
const CONTROL = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/;
// Format characters (Unicode category Cf) change how a name reads without being seen: direction
// overrides and isolates (U+202A–202E, U+2066–2069), direction marks (U+200E, U+200F, U+061C),
// zero-width characters (U+200B–200D, U+2060, U+FEFF) and the rest of the category. With them a
// name on the token page can pass for another one.
const INVISIBLE = /\p{Cf}/u;
// Half of a UTF-16 surrogate pair: not a character at all, and stored as U+FFFD or refused by the
// database, so the name a user sees would not be the name they sent.
const LONE_SURROGATE = /\p{Cs}/u;

/** Token names are 3 to 100 characters, counted in code points: an emoji is one character, not two. */
export const TOKEN_NAME_MIN = 3;
export const TOKEN_NAME_MAX = 100;

export const TokenNameSchema = z
  .string({ error: "tokenName must be a string" })
  .trim()
  .superRefine((name, ctx) => {
    const length = [...name].length;
    if (length < TOKEN_NAME_MIN) {
      ctx.addIssue({ code: "custom", message: "The token name should be 3 characters or longer" });
    } else if (length > TOKEN_NAME_MAX) {
      ctx.addIssue({ code: "custom", message: "The token name should be 100 characters or shorter" });
    }
    if (CONTROL.test(name)) {
      ctx.addIssue({ code: "custom", message: "The token name must not contain control characters" });
    }
    if (INVISIBLE.test(name)) {
      ctx.addIssue({
        code: "custom",
        message: "The token name must not contain invisible or text-direction characters",
      });
    }
    if (LONE_SURROGATE.test(name)) {
      ctx.addIssue({ code: "custom", message: "The token name must be valid Unicode text" });
    }
  })
  // The checks above are code, which JSON Schema cannot see; its minLength and maxLength count
  // code points too, so they say the same thing.
  .meta({ minLength: TOKEN_NAME_MIN, maxLength: TOKEN_NAME_MAX });

// RFC 6749 §3.3 scope-token, the pattern `scopeGuard` checks route scopes against.
export const ScopeSchema = z
  .string()
  .min(1)
  .max(100)
  .regex(SCOPE_TOKEN, 'A scope is printable ASCII without spaces, `"` or `\\`');

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

/**
 * The largest id a store holds: PostgreSQL's `integer` (and Documenso's `Int`) is 32-bit signed. A
 * larger id cannot name anything, and sent on it would fail in the database, not in validation.
 */
export const MAX_ID = 2_147_483_647;

const idMessage = (field: string) => `${field} must be a positive integer no larger than ${MAX_ID}`;

export const TeamIdSchema = z
  .number({ error: "teamId must be a number" })
  .int(idMessage("teamId"))
  .min(1, idMessage("teamId"))
  .max(MAX_ID, idMessage("teamId"));

/**
 * A whole number from 1 to `max` as text (a path or query segment, a command-line argument):
 * decimal digits only, no sign, no leading zero, and its pattern in the OpenAPI document.
 */
const positiveIntegerText = (max: number, message: string) =>
  z
    .string()
    .regex(new RegExp(`^[1-9][0-9]{0,${String(max).length - 1}}$`), message)
    .transform(Number)
    .refine((n) => n <= max, message);

const idText = (field: string) => positiveIntegerText(MAX_ID, idMessage(field));

const ANY_ID_TEXT = idText("id");

/**
 * An id written as text, or null when it is not one: the rule of the admin router's `:id`,
 * `teamId` and `tokenId`, for callers outside zod (the CLI's arguments, telemetry's span attributes).
 *
 * @example
 * parseId("42"); // 42
 * parseId("042"); // null
 * parseId("2147483648"); // null: above MAX_ID
 */
export function parseId(text: string): number | null {
  const parsed = ANY_ID_TEXT.safeParse(text);
  return parsed.success ? parsed.data : null;
}

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
  teamId: idText("teamId").optional(),
});

export const ListApiTokensResponseSchema = z.object({ tokens: z.array(ApiTokenSummarySchema) });
export type ListApiTokensResponse = z.infer<typeof ListApiTokensResponseSchema>;

export const TokenIdParamSchema = idText("id");

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

/** `GET <mount>/session`: who is signed in, and the teams whose tokens they may manage. */
export const AdminSessionSchema = z.object({
  user: z.object({ id: z.number().int(), name: z.string().nullable() }),
  teams: z
    .array(
      z.object({
        id: z.number().int(),
        name: z.string().nullable(),
        role: z.enum(["ADMIN", "MANAGER", "MEMBER"]),
        canManage: z.boolean().meta({ description: "The user may create and manage this team's tokens" }),
      }),
    )
    .nullable()
    .meta({
      description: "null when the directory cannot list a user's teams: the page then asks for a team id",
    }),
});

export const ErrorResponseSchema = z.object({
  error: z.string().meta({ description: "A stable machine-readable code" }),
  message: z.string(),
  issues: z.array(z.object({ field: z.string(), message: z.string() })).optional(),
  scope: z.string().optional(),
});

/**
 * The token security log (issue 14): one entry per lifecycle event. The admin router lists them at
 * `GET <mount>/events`, the token page shows a token's history from them, and `onEvent` receives
 * each one as it is written. No entry ever holds a token or its digest.
 */
export const SECURITY_EVENT_TYPES = [
  "created",
  "rotated",
  "revoked",
  "expired_on_use",
  "refused_disabled_owner",
  "rate_limited",
] as const;
export const SecurityEventTypeSchema = z.enum(SECURITY_EVENT_TYPES);
export type SecurityEventType = z.infer<typeof SecurityEventTypeSchema>;

export const SecurityEventSchema = z.object({
  id: z.number().int(),
  type: SecurityEventTypeSchema,
  at: z.iso.datetime().meta({ description: "When it happened (UTC)" }),
  actorUserId: z
    .number()
    .int()
    .nullable()
    .meta({ description: "The user who acted: the admin caller, or the token's user on a verify" }),
  tokenId: z.number().int().nullable(),
  tokenName: z.string().nullable(),
  teamId: z.number().int().nullable(),
  clientAddress: z.string().nullable().meta({ description: "After trustedProxies" }),
  userAgent: z.string().nullable(),
  count: z
    .number()
    .int()
    .min(1)
    .meta({ description: "1, or how many refusals an aggregated rate_limited entry stands for" }),
});
export type SecurityEvent = z.infer<typeof SecurityEventSchema>;

/** Newest first. `cursor` is the `nextCursor` of the previous page. */
export const ListSecurityEventsQuerySchema = z.strictObject({
  teamId: idText("teamId").optional(),
  tokenId: idText("tokenId").optional(),
  cursor: z
    .string()
    .regex(/^[A-Za-z0-9_-]{1,64}$/, "cursor must be the nextCursor of a previous page")
    .optional(),
  limit: positiveIntegerText(100, "limit must be an integer from 1 to 100").optional(),
});

export const ListSecurityEventsResponseSchema = z.object({
  events: z.array(SecurityEventSchema),
  nextCursor: z.string().nullable(),
});
export type ListSecurityEventsResponse = z.infer<typeof ListSecurityEventsResponseSchema>;
