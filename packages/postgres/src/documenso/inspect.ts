/**
 * What `tokengate doctor --documenso` reports about a Documenso database: the layout, how many
 * tokens and teams tokengate sees, and whether one real lookup goes through the same store and
 * directory a server would use. Reads only.
 */
import { randomBytes } from "node:crypto";
import { storeLookup } from "@tokengate/core";
import type { Pool } from "pg";
import { quoteSchema } from "../sql";
import type { DocumensoLayout } from "./layout";
import { openDocumenso } from "./open";

/** One lookup, of the newest token, through the store and the directory. */
export type DocumensoSample =
  | { readonly kind: "none" }
  | {
      readonly kind: "resolved";
      readonly tokenId: number;
      readonly actingUserId: number | null;
      readonly teamId: number | null;
      readonly role: string | null;
    };

export interface DocumensoReport {
  readonly schema: string;
  readonly layout: DocumensoLayout;
  readonly tokens: number;
  readonly teams: number;
  /** Who may manage team tokens by Documenso's rule for this layout. */
  readonly teamTokenRoles: readonly string[];
  readonly sample: DocumensoSample;
}

/**
 * Opens Documenso's database the way a server would and reads it once. Rejects with the reason
 * when tokengate could not serve it: `DocumensoSchemaError`, or the driver's error.
 */
export async function inspectDocumenso(
  pool: Pool,
  options: { schema?: string } = {},
): Promise<DocumensoReport> {
  const schema = options.schema ?? "public";
  const s = quoteSchema(schema);
  const { layout, store, directory } = await openDocumenso(pool, { schema });
  const { rows } = await pool.query<{ tokens: string; teams: string; newest: string | null }>(
    `SELECT (SELECT count(*) FROM ${s}."ApiToken") AS tokens, (SELECT count(*) FROM ${s}."Team") AS teams,
            (SELECT token FROM ${s}."ApiToken" ORDER BY "createdAt" DESC, id DESC LIMIT 1) AS newest`,
  );
  const counts = rows[0]!;
  const lookup = storeLookup(store, directory);
  let sample: DocumensoSample;
  if (counts.newest === null) {
    // Nothing to resolve: still prove the lookup statement runs, with a digest nobody holds.
    await lookup.lookup(randomBytes(64).toString("hex"));
    sample = { kind: "none" };
  } else {
    const credential = await lookup.lookup(counts.newest);
    if (!credential) throw new Error("the newest ApiToken row was not found by its own digest");
    sample = {
      kind: "resolved",
      tokenId: credential.token.id,
      actingUserId: credential.actingUser?.id ?? null,
      teamId: credential.team?.id ?? null,
      role: credential.role,
    };
  }
  return {
    schema,
    layout,
    tokens: Number(counts.tokens),
    teams: Number(counts.teams),
    teamTokenRoles: directory.teamTokenRoles,
    sample,
  };
}
