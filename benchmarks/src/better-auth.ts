/**
 * better-auth's API-key plugin as a peer. better-auth 1.7 moved it from `better-auth/plugins` to
 * `@better-auth/api-key`; the call under test is the same `auth.api.verifyApiKey({ body: { key } })`.
 * Rate limiting is off (globally and in the plugin) so that the row measures verification alone.
 */
import { apiKey } from "@better-auth/api-key";
import { type BetterAuthPlugin, betterAuth } from "better-auth";
import { memoryAdapter } from "better-auth/adapters/memory";

/** The two endpoints the plugin adds that this benchmark calls. */
interface ApiKeyEndpoints {
  createApiKey(input: { body: { userId: string; name: string } }): Promise<{ key: string }>;
  verifyApiKey(input: { body: { key: string } }): Promise<{ valid: boolean }>;
}

export interface BetterAuthVerifier {
  /** The key better-auth issued; the load generator sends it as `Authorization: Bearer <key>`. */
  readonly key: string;
  verify(key: string): Promise<boolean>;
  close(): Promise<void>;
}

export async function betterAuthVerifier(): Promise<BetterAuthVerifier> {
  const tables: Record<string, Record<string, unknown>[]> = {
    user: [],
    session: [],
    account: [],
    verification: [],
    apikey: [],
  };
  const auth = betterAuth({
    secret: "benchmark-secret-benchmark-secret-0123456789",
    baseURL: "http://127.0.0.1",
    database: memoryAdapter(tables),
    emailAndPassword: { enabled: true },
    rateLimit: { enabled: false },
    telemetry: { enabled: false },
    logger: { disabled: true },
    // @better-auth/api-key 1.7.5 (the newest published) types against its own copy of
    // @better-auth/core; at run time it is the same plugin object better-auth expects.
    plugins: [apiKey({ rateLimit: { enabled: false } }) as unknown as BetterAuthPlugin],
  });
  const api = auth.api as typeof auth.api & ApiKeyEndpoints;
  const { user } = await auth.api.signUpEmail({
    body: { email: "bench@example.com", password: "benchmark-password", name: "bench" },
  });
  const created = await api.createApiKey({ body: { userId: user.id, name: "bench" } });
  return {
    key: created.key,
    async verify(key) {
      const result = await api.verifyApiKey({ body: { key } });
      return result.valid;
    },
    async close() {},
  };
}
