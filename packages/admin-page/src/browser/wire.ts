/**
 * What the admin router sends the page, as types: the core's own, from its schemas, so a change to
 * the contract fails the page's type check. Type-only imports, gone from the bundle. They name the
 * core's source files rather than `@tokengate/core`, whose entry brings Node's types along.
 */
export type { AdminSession } from "../../../core/src/admin-page/answers";
export type {
  ApiTokenSummary,
  CreateApiTokenRequest,
  CreateApiTokenResponse,
  ListApiTokensResponse,
  ListSecurityEventsResponse,
  RotateApiTokenResponse,
  SecurityEvent,
  SecurityEventType,
} from "../../../core/src/schemas";
