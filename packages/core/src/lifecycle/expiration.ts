/**
 * When a token stops working: the expiry presets and their calendar arithmetic, and the one test
 * of whether an expiry has passed, which the verifier, the list and the create and rotate calls share.
 */
import { DateTime } from "luxon";

/** The presets a create request may name, ours and Documenso's. */
export const EXPIRATION_PRESETS = [
  "30d",
  "90d",
  "180d",
  "365d",
  "ONE_WEEK",
  "ONE_MONTH",
  "THREE_MONTHS",
  "SIX_MONTHS",
  "ONE_YEAR",
] as const;

export type ExpirationPreset = (typeof EXPIRATION_PRESETS)[number];

const DURATION: Record<ExpirationPreset, { days?: number; weeks?: number; months?: number; years?: number }> =
  {
    "30d": { days: 30 },
    "90d": { days: 90 },
    "180d": { days: 180 },
    "365d": { days: 365 },
    ONE_WEEK: { weeks: 1 },
    ONE_MONTH: { months: 1 },
    THREE_MONTHS: { months: 3 },
    SIX_MONTHS: { months: 6 },
    ONE_YEAR: { years: 1 },
  };

export function isExpirationPreset(value: string): value is ExpirationPreset {
  return Object.hasOwn(DURATION, value);
}

/**
 * When a token created at `now` expires. Presets use calendar arithmetic in UTC (luxon): ONE_MONTH
 * from 31 January is the last day of February, not 3 March. `null` means never; an ISO-8601
 * instant is taken as is (the schema has already checked it is one).
 */
export function resolveExpiration(value: ExpirationPreset | string | null, now: Date): Date | null {
  if (value === null) return null;
  if (isExpirationPreset(value)) {
    return DateTime.fromJSDate(now, { zone: "utc" }).plus(DURATION[value]).toJSDate();
  }
  return DateTime.fromISO(value, { setZone: true }).toJSDate();
}

/**
 * Whether a token with this expiry no longer works at `now`: the instant itself counts as expired.
 * `null` never expires. The verifier refuses on it, the list reports it, and create and rotate
 * refuse an expiry for which it is already true.
 */
export function isExpired(expiresAt: Date | null, now: Date): boolean {
  return expiresAt !== null && expiresAt.getTime() <= now.getTime();
}
