/**
 * What the admin router sends the page, as types: the core's own, from its zod schemas, so a change
 * to the contract fails the page's type check. Type-only imports, gone from the bundle. They name
 * the core's schemas file rather than `@tokengate/core`, whose entry brings Node's types along.
 */
import type { AdminSessionSchema } from "../../../core/src/lifecycle/schemas";

/** `GET <mount>/session`. */
export type AdminSession = ReturnType<typeof AdminSessionSchema.parse>;
export type {
  ApiTokenSummary,
  CreateApiTokenRequest,
  CreateApiTokenResponse,
  ListApiTokensResponse,
  ListSecurityEventsResponse,
  RotateApiTokenResponse,
  SecurityEvent,
  SecurityEventType,
} from "../../../core/src/lifecycle/schemas";
