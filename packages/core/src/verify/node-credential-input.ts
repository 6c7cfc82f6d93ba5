/**
 * The `CredentialInput` of a Node request (`IncomingMessage`), for the adapters whose framework
 * hands one over: Express, Koa, and Hono under @hono/node-server. The credential is read at once;
 * the client's address and headers only when the verifier asks for them.
 */
import type { IncomingMessage } from "node:http";
import { type AuthorizationInput, authorizationFromRawHeaders } from "./authorization";
import type { CredentialInput } from "./verify";

/** A Node request's header: Node joins repeated headers it does not know into one string; an array only for set-cookie. */
export function nodeHeader(req: IncomingMessage, name: string): string | undefined {
  const value = req.headers[name];
  return Array.isArray(value) ? value.join(", ") : value;
}

/**
 * What the gate reads off one Node request. Every `Authorization` line comes from `rawHeaders`
 * (`headers` keeps only the first of duplicates, and reading it makes Node parse every header
 * line); the client address and `header(name)` are getters, read only when a failure limiter or
 * the security log asks. A class, not an object literal: V8 builds each literal that has getters
 * as a dictionary-mode object with fresh accessor pairs, and those kept every request (which the
 * getters capture) alive through young-generation collections, so under load it was all promoted
 * and freed only by full collections.
 *
 * @example
 * await gate.verifier.verify(new NodeCredentialInput(req, queryTokenInput(gate, req.url ?? "/")));
 */
export class NodeCredentialInput implements CredentialInput {
  readonly authorization: AuthorizationInput;
  /** The `access_token` query values, where the deployment allows them (`queryTokenInput`). */
  readonly queryToken: CredentialInput["queryToken"];
  readonly #req: IncomingMessage;

  constructor(req: IncomingMessage, queryToken: CredentialInput["queryToken"]) {
    this.authorization = authorizationFromRawHeaders(req.rawHeaders);
    this.queryToken = queryToken;
    this.#req = req;
  }

  get clientAddress(): string | undefined {
    return this.#req.socket.remoteAddress;
  }

  header(name: string): string | undefined {
    return nodeHeader(this.#req, name);
  }
}
