/**
 * What the admin router reads off a request besides the call itself: its headers by name
 * (`RequestHeaders`) and its connection (scheme, peer). Read here once for a Node `IncomingMessage`
 * (Express, Koa, Hono under @hono/node-server) and once for a Fetch `Request` (Hono elsewhere), so
 * the three adapters hand the core the same facts, with the scheme from the connection itself.
 */
import type { IncomingMessage } from "node:http";
import { nodeHeader } from "../verify/node-credential-input";
import type { RequestOrigin } from "./cross-site";

/**
 * What the admin router reads off a request besides the call itself: where it came from, for the
 * cross-site check, and the forwarding chain and user agent (`header`), which the security log
 * records with each lifecycle event.
 */
export type AdminRequestFacts = RequestOrigin;

/** The request facts of a Node request. An empty `Origin:` header stays `""`, which is refused. */
export function nodeRequestOrigin(req: IncomingMessage): AdminRequestFacts {
  const { socket } = req;
  return {
    header: (name) => nodeHeader(req, name),
    // True only on a TLSSocket: TLS ended in this process. A proxy's word comes in the headers.
    scheme: (socket as { encrypted?: boolean } | undefined)?.encrypted === true ? "https" : "http",
    peerAddress: socket?.remoteAddress,
  };
}

/**
 * The request facts of a Fetch request. Its URL is the runtime's account of the connection; the
 * Host header, when the runtime passes it, is what the client sent, and the URL's host stands in
 * for it when the runtime does not.
 *
 * @param peerAddress the client's socket address, where the runtime tells it.
 */
export function fetchRequestOrigin(request: Request, peerAddress?: string | undefined): AdminRequestFacts {
  const { headers } = request;
  const url = new URL(request.url);
  return {
    header: (name) => headers.get(name) ?? (name === "host" ? url.host : undefined),
    scheme: url.protocol === "https:" ? "https" : "http",
    peerAddress,
  };
}
