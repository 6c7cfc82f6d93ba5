/**
 * Telling a store error that the request caused from a store that is down. The admin router
 * answers the first 400 naming the field, the second 503: a value the database cannot hold is the
 * caller's to fix, and retrying it later would fail the same way.
 */

// SQLSTATE (ISO/IEC 9075, what PostgreSQL and most SQL drivers report as `code`): class 22 is a
// data exception (22003 a number out of range, 22001 text too long, 22P02 not a number), class 23
// an integrity constraint violation (a foreign key to nothing, a check that failed).
const INPUT_SQLSTATE = /^2[23][0-9A-Z]{3}$/;

/**
 * True when the store refused the values it was given, rather than failing to answer. The
 * schemas bound every value first (ids to PostgreSQL's `integer`), so this is the second line:
 * whatever slips past them must still not read as "unavailable".
 */
export function isStoreInputFault(error: unknown): boolean {
  if (typeof error !== "object" || error === null) return false;
  const code = (error as { code?: unknown }).code;
  return typeof code === "string" && INPUT_SQLSTATE.test(code);
}
