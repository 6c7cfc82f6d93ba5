/**
 * `Result`, the value every expected failure travels in: the service, the verifier and the schemas'
 * checks return `ok(value)` or `err(TokenGateError)`; only bugs throw.
 */
import type { TokenGateError } from "./errors";

/** Expected failures are values; bugs throw. */
export type Result<T> =
  | { readonly ok: true; readonly value: T }
  | { readonly ok: false; readonly error: TokenGateError };

export const ok = <T>(value: T): Result<T> => ({ ok: true, value });
export const err = <T = never>(error: TokenGateError): Result<T> => ({ ok: false, error });
