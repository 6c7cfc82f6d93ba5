/**
 * Reading what the cross-site check needs (`RequestOrigin`) out of a request, once for Node's
 * `IncomingMessage` (Express, Koa) and once for a Fetch `Request` (Hono), so the three adapters
 * hand the core the same facts: the headers as sent, and the scheme from the connection itself.
 */
import type { IncomingMessage } from "node:http";
import type { RequestOrigin } from "./admin-page/cross-site";

/**
 * What the admin router reads off a request besides its origin: the client's forwarding chain and
 * user agent, which the security log records with each lifecycle event.
 */
export interface AdminRequestFacts extends RequestOrigin {
  readonly forwardedFor?: string | undefined;
  readonly userAgent?: string | undefined;
}

/** Node joins repeated headers it does not know into one string; an array only for set-cookie. */
const single = (value: string | string[] | undefined) => (Array.isArray(value) ? value.join(", ") : value);

/** The origin facts of a Node request. An empty `Origin:` header stays `""`, which is refused. */
export function nodeRequestOrigin(req: IncomingMessage): AdminRequestFacts {
  const { headers, socket } = req;
  return {
    origin: single(headers.origin),
    host: single(headers.host),
    secFetchSite: single(headers["sec-fetch-site"]),
    // True only on a TLSSocket: TLS ended in this process. A proxy's word comes in the headers below.
    scheme: (socket as { encrypted?: boolean } | undefined)?.encrypted === true ? "https" : "http",
    peerAddress: socket?.remoteAddress,
    forwardedProto: single(headers["x-forwarded-proto"]),
    forwardedHost: single(headers["x-forwarded-host"]),
    forwardedFor: single(headers["x-forwarded-for"]),
    userAgent: single(headers["user-agent"]),
  };
}

/**
 * The origin facts of a Fetch request. Its URL is the runtime's account of the connection
 * (`@hono/node-server` builds the scheme from the socket); the Host header, when the runtime
 * passes it, is what the client sent.
 *
 * @param peerAddress the client's socket address, where the runtime tells it.
 */
export function fetchRequestOrigin(request: Request, peerAddress?: string | undefined): AdminRequestFacts {
  const { headers } = request;
  const url = new URL(request.url);
  const header = (name: string) => headers.get(name) ?? undefined;
  return {
    origin: header("origin"),
    host: header("host") ?? url.host,
    secFetchSite: header("sec-fetch-site"),
    scheme: url.protocol === "https:" ? "https" : "http",
    peerAddress,
    forwardedProto: header("x-forwarded-proto"),
    forwardedHost: header("x-forwarded-host"),
    forwardedFor: header("x-forwarded-for"),
    userAgent: header("user-agent"),
  };
}
