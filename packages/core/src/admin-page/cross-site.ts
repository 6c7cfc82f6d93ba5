/** What a browser tells about where a request came from. */
export interface RequestOrigin {
  /** The `Origin` header, when sent. */
  readonly origin?: string | undefined;
  /** The `Host` header: where the request was sent. */
  readonly host?: string | undefined;
  /** The `Sec-Fetch-Site` header, which browsers add and scripts cannot forge. */
  readonly secFetchSite?: string | undefined;
}

const DEFAULT_PORT: Record<string, string> = { "http:": "80", "https:": "443" };

/**
 * True when a browser sent the request from another origin: the admin router refuses such a
 * state-changing request (cross-site request forgery), because the application's session (a
 * cookie, HTTP Basic) rides along with it. A request with neither header comes from a
 * non-browser client (curl, a script), which no other site can drive, and passes.
 *
 * Ports are compared as well as host names: another port on the same host is another origin,
 * and may be another, less trusted, application.
 */
export function isCrossOriginRequest(request: RequestOrigin): boolean {
  const site = request.secFetchSite?.trim().toLowerCase();
  if (site && site !== "same-origin" && site !== "none") return true;
  if (request.origin === undefined) return false;
  let origin: URL;
  let target: URL;
  try {
    // "null" (a sandboxed frame, a file: page) is not a URL and lands in the catch.
    origin = new URL(request.origin.trim());
    if (!request.host) return true;
    target = new URL(`${origin.protocol}//${request.host.trim()}`);
  } catch {
    return true;
  }
  const defaultPort = DEFAULT_PORT[origin.protocol] ?? "";
  return (
    origin.origin === "null" ||
    origin.hostname.toLowerCase() !== target.hostname.toLowerCase() ||
    (origin.port || defaultPort) !== (target.port || defaultPort)
  );
}
