/**
 * Reading the credential out of a request, per RFC 6750 §2 and RFC 9110 §11.
 *
 * Accepted: `Authorization: Bearer <token>` (scheme in any case) and the raw `Authorization: <token>`
 * that Documenso's v1 API documents. Optional, off by default: the `access_token` query parameter.
 */

/** What the request carried. `token` is a syntactically valid b64token, nothing more. */
export type CredentialParse =
  | { readonly kind: "none" }
  | { readonly kind: "token"; readonly token: string }
  | { readonly kind: "malformed"; readonly reason: string };

/** The header values as the framework gives them; Node joins nothing for `authorization`. */
export type AuthorizationInput = string | readonly string[] | undefined | null;

// RFC 6750 §2.1: b64token = 1*( ALPHA / DIGIT / "-" / "." / "_" / "~" / "+" / "/" ) *"="
const B64TOKEN = /^[A-Za-z0-9\-._~+/]+=*$/;
// RFC 9110 §5.6.2 token, used for the auth-scheme.
const TCHAR_TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
// A comma-joined second `Bearer <token>` inside another scheme's credentials.
const SECOND_BEARER = /,[ \t]*bearer(?:[ \t]|$)/i;
// Optional whitespace (OWS) around a field value is SP / HTAB.
const OWS = /^[ \t]+|[ \t]+$/g;

const NONE: CredentialParse = { kind: "none" };

function malformed(reason: string): CredentialParse {
  return { kind: "malformed", reason };
}

/**
 * Parses one Authorization field value. Another scheme (`Basic …`) means "no bearer credential":
 * RFC 6750 §3.1 answers that with a bare challenge, not with an error code.
 */
function parseAuthorizationValue(raw: string): CredentialParse {
  // The common shape, exactly `Bearer <b64token>`, answers the same as the general path below.
  if (raw.startsWith("Bearer ")) {
    const token = raw.slice(7);
    if (B64TOKEN.test(token)) return { kind: "token", token };
  }
  const value = raw.replace(OWS, "");
  if (value === "") return malformed("The Authorization header is empty");
  const space = value.indexOf(" ");
  if (space === -1) {
    // One word: Documenso's raw form. It must still be a b64token; a lone "Bearer" has no token.
    if (value.toLowerCase() === "bearer") return malformed("The Bearer scheme needs a token");
    return B64TOKEN.test(value) ? { kind: "token", token: value } : malformed("The token is not a b64token");
  }
  const scheme = value.slice(0, space);
  const rest = value.slice(space + 1).replace(/^ +/, "");
  if (!TCHAR_TOKEN.test(scheme)) return malformed("The Authorization header is not `<scheme> <credentials>`");
  if (scheme.toLowerCase() !== "bearer") {
    // Authorization is not a list field, yet clients and proxies join duplicates with ",": a
    // Bearer credential behind another scheme is a second credential (400), not "none" (which an
    // optional route would let through anonymously).
    return SECOND_BEARER.test(rest) ? malformed("Exactly one credential is allowed") : NONE;
  }
  if (rest === "") return malformed("The Bearer scheme needs a token");
  if (!B64TOKEN.test(rest)) {
    return malformed(/[ ,]/.test(rest) ? "Exactly one credential is allowed" : "The token is not a b64token");
  }
  return { kind: "token", token: rest };
}

/**
 * Reads the single credential of a request.
 *
 * @param authorization every `Authorization` field value the request carried (Node's
 *   `req.headers` keeps only the first of duplicates, so adapters pass `rawHeaders` values).
 * @param queryToken the `access_token` query value, only where the deployment enabled it.
 *
 * @example
 * parseCredentials("Bearer api_0123456789abcdef"); // { kind: "token", token: "api_0123456789abcdef" }
 * parseCredentials(["Bearer a", "Bearer b"]);      // { kind: "malformed", … }
 */
export function parseCredentials(
  authorization: AuthorizationInput,
  queryToken?: string | readonly string[] | null,
): CredentialParse {
  let header: CredentialParse = NONE;
  let present = false;
  if (typeof authorization === "string") {
    present = true;
    header = parseAuthorizationValue(authorization);
  } else if (authorization && authorization.length > 0) {
    if (authorization.length > 1) return malformed("Exactly one Authorization header is allowed");
    present = true;
    header = parseAuthorizationValue(authorization[0]!);
  }
  if (queryToken === undefined || queryToken === null) return header;
  if (typeof queryToken !== "string") {
    if (queryToken.length === 0) return header;
    if (queryToken.length > 1) return malformed("Exactly one access_token parameter is allowed");
  }
  const query = typeof queryToken === "string" ? queryToken : queryToken[0]!;
  // RFC 6750 §2: a client MUST NOT use more than one method to send the token.
  if (present && header.kind !== "none") return malformed("Send the token in one place only");
  if (!B64TOKEN.test(query)) return malformed("The access_token parameter is not a b64token");
  return { kind: "token", token: query };
}

/** The `access_token` query values of a request URL (path and query, or absolute). */
export function accessTokensFromUrl(url: string): string[] {
  const q = url.indexOf("?");
  // The quick exit must not miss a percent-encoded name (`access%5Ftoken`), which
  // URLSearchParams decodes to the same parameter.
  if (q === -1 || (!url.includes("access_token", q) && !url.includes("%", q))) return [];
  return new URLSearchParams(url.slice(q + 1)).getAll("access_token");
}

/** Collects every `Authorization` value from Node's `rawHeaders` (name/value pairs, names as sent). */
export function authorizationFromRawHeaders(rawHeaders: readonly string[]): AuthorizationInput {
  let first: string | undefined;
  let all: string[] | undefined;
  for (let i = 0; i < rawHeaders.length; i += 2) {
    const name = rawHeaders[i]!;
    if (name.length === 13 && name.toLowerCase() === "authorization") {
      const value = rawHeaders[i + 1]!;
      if (first === undefined) first = value;
      else if (all === undefined) all = [first, value];
      else all.push(value);
    }
  }
  return all ?? first;
}
