/**
 * Cross-site request forgery, decided once for the admin router: is this state-changing request
 * from a page of another origin? The adapters hand over the request's headers by name, the scheme
 * of its connection and the socket's peer; this file asks for the headers it needs (`Origin`,
 * `Host`, `Sec-Fetch-Site`, `X-Forwarded-Proto`, `X-Forwarded-Host`) and decides what to believe.
 */

import type { RequestHeaders } from "../ports/request-headers";
import type { TrustedProxies } from "../verify/client-address";

/** What a request tells about where it came from and where it was sent. */
export interface RequestOrigin extends RequestHeaders {
  /**
   * The scheme of the connection this server accepted: `https` when TLS ends in this process
   * (`socket.encrypted`), else `http`. Read from the socket, never from a header.
   */
  readonly scheme: "http" | "https";
  /** The socket's peer. Only a peer listed in `trustedProxies` is believed about X-Forwarded-*. */
  readonly peerAddress?: string | undefined;
}

/** Where the admin router's own origin may differ from what its socket sees. */
export interface CrossSitePolicy {
  /** Proxies whose `X-Forwarded-Proto` and `X-Forwarded-Host` describe the browser's request. */
  readonly trustedProxies?: TrustedProxies | undefined;
  /** Origins allowed besides the server's own, e.g. a front end on another host. */
  readonly trustedOrigins?: TrustedOrigins | undefined;
}

const SCHEMES = new Set(["http:", "https:"]);

/** `scheme://host[:port]` of a URL, or null when it is not a plain http(s) origin. */
function originOf(text: string): string | null {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return null;
  }
  if (!SCHEMES.has(url.protocol) || url.username || url.password || url.search || url.hash) return null;
  if (url.pathname !== "/") return null;
  return url.origin;
}

/**
 * Origins the admin router accepts state-changing browser requests from, besides its own: the
 * `trustedOrigins` option, e.g. `["https://admin.example.com"]`. Compiled once, when the gate's
 * options are read; an entry that is not `scheme://host[:port]` is a `TypeError` naming the option.
 */
export class TrustedOrigins {
  readonly #origins = new Set<string>();

  constructor(entries: readonly string[]) {
    if (!Array.isArray(entries)) {
      throw new TypeError("trustedOrigins must be an array of origins, e.g. https://admin.example.com");
    }
    for (const entry of entries) {
      const origin = typeof entry === "string" ? originOf(entry.trim()) : null;
      if (origin === null) {
        throw new TypeError(
          `trustedOrigins: not an http(s) origin (scheme://host[:port]): ${JSON.stringify(entry)}`,
        );
      }
      this.#origins.add(origin);
    }
  }

  has(origin: string): boolean {
    return this.#origins.has(origin);
  }
}

/** The first value of a header a chain of proxies may have appended to: the one nearest the browser. */
const firstValue = (value: string) => value.split(",")[0]!.trim();

/**
 * This server's origin as the browser sees it: the connection's scheme and the Host header, or,
 * behind a trusted proxy, the proxy's X-Forwarded-Proto and X-Forwarded-Host. Null when the
 * request does not say enough to know.
 */
function ownOrigin(request: RequestOrigin, proxies: TrustedProxies | undefined): string | null {
  const trusted =
    proxies !== undefined && request.peerAddress !== undefined && proxies.has(request.peerAddress);
  // `X-Forwarded-Proto` and `X-Forwarded-Host`: the browser's scheme and host, as a trusted proxy reports them.
  const forwardedProto = trusted ? request.header("x-forwarded-proto") : undefined;
  const forwardedHost = trusted ? request.header("x-forwarded-host") : undefined;
  const scheme = forwardedProto ? firstValue(forwardedProto) : request.scheme;
  const host = forwardedHost ? firstValue(forwardedHost) : request.header("host")?.trim();
  // A Host with a path, user info or a second host in it is no host: it names no origin.
  if (!host || /[/\\?#@,\s]/.test(host)) return null;
  return originOf(`${scheme.toLowerCase()}://${host}`);
}

/**
 * True when a browser sent the request from another origin: the admin router refuses such a
 * state-changing request (cross-site request forgery), because the application's session (a
 * cookie, HTTP Basic) rides along with it. A request with neither `Origin` nor a cross-site
 * `Sec-Fetch-Site` comes from a client that is not a browser (curl, a script), which no other
 * site can drive, and passes.
 *
 * The whole origin is compared: scheme, host and port. `http://host` is another origin than
 * `https://host` (a page served over plain http can be rewritten by anyone on the network), and
 * another port on the same host may be another, less trusted, application. An `Origin` that is
 * empty, `null` (a sandboxed frame, a file: page) or not an origin at all is refused.
 */
export function isCrossOriginRequest(request: RequestOrigin, policy: CrossSitePolicy = {}): boolean {
  // An empty `Origin:` header is `""`, not absent: it names no origin and is refused.
  const origin = request.header("origin");
  if (origin !== undefined) {
    const sent = originOf(origin.trim());
    if (sent === null) return true;
    // The browser names the page's origin truthfully; a listed one is welcome whatever the site.
    if (policy.trustedOrigins?.has(sent)) return false;
    if (sent !== ownOrigin(request, policy.trustedProxies)) return true;
  }
  // `Sec-Fetch-Site`, which browsers add and scripts cannot forge.
  const site = request.header("sec-fetch-site")?.trim().toLowerCase();
  return site !== undefined && site !== "" && site !== "same-origin" && site !== "none";
}
