/**
 * Scopes: the RFC 6749 §3.3 scope-token syntax a scope name must have, and whether an identity holds
 * what a route asks. The create schema, `scopeGuard` and the verifier all ask here.
 */

/** RFC 6749 §3.3 scope-token: 1*( %x21 / %x23-5B / %x5D-7E ), printable ASCII without space, `"` or `\`. */
export const SCOPE_TOKEN = /^[\x21\x23-\x5B\x5D-\x7E]+$/;

/** Whether `scope` is a well-formed scope name. */
export function isScopeToken(scope: string): boolean {
  return SCOPE_TOKEN.test(scope);
}

/** Whether the scopes a token carries include every one in `required`. */
export function holdsScopes(held: readonly string[], required: readonly string[]): boolean {
  for (const scope of required) if (!held.includes(scope)) return false;
  return true;
}
