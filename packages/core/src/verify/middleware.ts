/**
 * The whole decision of a tokengate middleware, framework-free: verify or reuse an identity, check
 * the route's scopes, continue or answer. The Express, Koa and Hono middlewares only read the
 * request into a `CredentialInput` and act on the `AuthDecision`.
 */
import type { HttpAnswer } from "../errors";
import type { TokenGate, TokenGateOptions } from "../gate";
import { createTokenGate, isTokenGate } from "../gate";
import type { AuthIdentity } from "../ports/types";
import { accessTokensFromUrl } from "./authorization";
import type { CredentialInput } from "./verify";
import { scopeGuard } from "./verify";

/** Per-mount options shared by the three framework middlewares. */
export interface MiddlewareOptions {
  /** Every scope the route needs; a token lacking one gets 403 `insufficient_scope`. */
  scopes?: readonly string[];
  /**
   * Let requests without any credential through, without identity. A credential that is present
   * but bad is still refused: a broken token never silently becomes anonymous.
   */
  optional?: boolean;
}

/** What a framework middleware should do with one request. */
export type AuthDecision =
  | {
      readonly action: "continue";
      readonly identity: AuthIdentity | undefined;
      readonly headers: Readonly<Record<string, string>>;
    }
  | { readonly action: "respond"; readonly answer: HttpAnswer };

const NONE: Readonly<Record<string, string>> = Object.freeze({});

/**
 * The whole decision of a tokengate middleware, framework-free. Adapters read the request into a
 * `CredentialInput`, call `decide`, and either continue with the identity or write the answer.
 * An identity attached by an earlier tokengate middleware is reused, so a route-level
 * `tokengate(gate, { scopes })` behind an app-level one checks scopes without verifying twice.
 *
 * @param framework the adapter's name (`express`, `koa`, `hono`), recorded on each verify span.
 */
export function createAuthDecider(
  gateOrOptions: TokenGate | TokenGateOptions,
  options: MiddlewareOptions = {},
  framework?: string,
): {
  gate: TokenGate;
  decide(
    input: CredentialInput | (() => CredentialInput),
    existing: AuthIdentity | undefined,
  ): Promise<AuthDecision>;
} {
  const gate = isTokenGate(gateOrOptions) ? gateOrOptions : createTokenGate(gateOrOptions);
  const guard = options.scopes && options.scopes.length > 0 ? scopeGuard(options.scopes, gate.realm) : null;
  const optional = options.optional ?? false;
  // Checked inside verify, before the rate limit; the guard covers identities attached earlier.
  const requirements = guard ? { scopes: options.scopes, framework } : { framework };
  const { verifier } = gate;

  return {
    gate,
    async decide(input, existing) {
      let identity = existing;
      let headers = NONE;
      if (!identity) {
        const outcome = await verifier.verify(typeof input === "function" ? input() : input, requirements);
        if (!outcome.ok) {
          if (optional && outcome.error.code === "missing_credentials" && !guard) {
            return { action: "continue", identity: undefined, headers };
          }
          return { action: "respond", answer: outcome.answer };
        }
        identity = outcome.identity;
        headers = outcome.headers;
      }
      const refused = guard?.(identity);
      if (refused) return { action: "respond", answer: refused };
      return { action: "continue", identity, headers };
    },
  };
}

/** The `access_token` query values, only where the deployment allows query tokens. */
export function queryTokenInput(gate: TokenGate, url: string): readonly string[] | undefined {
  return gate.allowQueryToken ? accessTokensFromUrl(url) : undefined;
}

/** The application's answer to "who is signed in?" for the admin router. */
export type Actor = { readonly userId: number } | null | undefined;
