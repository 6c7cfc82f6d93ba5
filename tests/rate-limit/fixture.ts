/** A gate with one user, one team and tokens made through the service, for the rate-limit suites. */
import {
  createTokenGate,
  MemoryDirectory,
  MemoryTokenStore,
  type TokenGate,
  type TokenGateOptions,
} from "@tokengate/core";
import { type TokenGateEnv, tokengate } from "@tokengate/hono";
import { Hono } from "hono";

export const USER_ID = 1;
export const TEAM_ID = 7;

export function buildGate(options: Partial<TokenGateOptions>): TokenGate {
  const directory = new MemoryDirectory()
    .upsertUser({ id: USER_ID, disabled: false })
    .upsertTeam({ id: TEAM_ID, ownerUserId: USER_ID })
    .setRole(TEAM_ID, USER_ID, "ADMIN");
  return createTokenGate({
    store: new MemoryTokenStore(),
    directory,
    usageFlushIntervalMs: false,
    ...options,
  });
}

export async function mintToken(
  gate: TokenGate,
  teamId: number | null = null,
): Promise<{ id: number; token: string }> {
  const created = await gate.service.create(
    { kind: "operator" },
    { tokenName: "rate test", teamId },
    USER_ID,
  );
  if (!created.ok) throw created.error;
  return created.value;
}

/** `/api/*` behind tokengate; the handler counts its runs so tests can see it did not run. */
export function honoApp(
  gate: TokenGate,
  clientAddress?: (c: { req: { header(n: string): string | undefined } }) => string | undefined,
) {
  const app = new Hono<TokenGateEnv>();
  let handled = 0;
  app.use("/api/*", tokengate(gate, clientAddress ? { clientAddress } : {}));
  app.get("/api/me", (c) => {
    handled++;
    return c.json({ tokenId: c.get("auth")?.tokenId });
  });
  return { app, handled: () => handled };
}

export const bearer = (token: string) => ({ authorization: `Bearer ${token}` });
