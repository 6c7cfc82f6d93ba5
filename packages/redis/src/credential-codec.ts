/**
 * The Redis tier's value format: a credential (or "no such token") as versioned JSON, with the
 * cache epoch it was loaded under, and the reading back that revives only the token's date fields.
 */
import type { ResolvedCredential, TokenRecord } from "@tokengate/core";

/**
 * Bumped when the stored shape changes, so instances of two versions sharing one Redis during a
 * rolling deploy treat each other's entries as misses instead of misreading them.
 */
const FORMAT = 1;

/**
 * The Redis value for a digest: a credential, or null for "no such token" (the negative entry).
 * `epoch` is the cache epoch it was loaded under (see `tieredCache`): a reader on another epoch
 * treats it as a miss, which is how a directory change empties the Redis tier on every node at once.
 */
export function encodeCredential(credential: ResolvedCredential | null, epoch = ""): string {
  return JSON.stringify(epoch ? { v: FORMAT, c: credential, e: epoch } : { v: FORMAT, c: credential });
}

const date = (value: unknown): Date | null | undefined => {
  if (value === null) return null;
  if (typeof value !== "string") return undefined;
  const d = new Date(value);
  return Number.isNaN(d.getTime()) ? undefined : d;
};

/**
 * Reads a Redis value back. `undefined` means "not usable, treat as a miss": another format, a
 * damaged value, or an entry whose digest is not the one asked for. Only the token's known date
 * fields are revived, never anything that merely looks like a date.
 */
export function decodeCredential(
  raw: string,
  digest: string,
): { value: ResolvedCredential | null; epoch: string } | undefined {
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    return undefined;
  }
  if (typeof parsed !== "object" || parsed === null) return undefined;
  const { v, c, e } = parsed as { v?: unknown; c?: unknown; e?: unknown };
  if (v !== FORMAT) return undefined;
  const epoch = typeof e === "string" ? e : "";
  if (c === null) return { value: null, epoch };
  if (typeof c !== "object" || c === undefined) return undefined;
  const credential = c as Record<string, unknown>;
  const token = credential.token as Record<string, unknown> | null | undefined;
  if (
    typeof token !== "object" ||
    token === null ||
    token.digest !== digest ||
    typeof token.id !== "number"
  ) {
    return undefined;
  }
  const createdAt = date(token.createdAt);
  const expiresAt = date(token.expiresAt);
  const lastUsedAt = date(token.lastUsedAt);
  if (!createdAt || expiresAt === undefined || lastUsedAt === undefined) return undefined;
  const revived = { ...token, createdAt, expiresAt, lastUsedAt } as unknown as TokenRecord;
  return { value: { ...(credential as unknown as ResolvedCredential), token: revived }, epoch };
}
