/**
 * The documented way into Documenso's database: read its layout once, at start-up, and build the
 * store and directory for it. A schema tokengate cannot read rejects here, with the missing tables
 * and columns named, instead of answering 503 on every request later.
 */
import type { Pool } from "pg";
import { DocumensoDirectory } from "./directory";
import { type DocumensoLayout, detectDocumensoLayout } from "./layout";
import { type DocumensoOptions, DocumensoTokenStore } from "./token-store";

/** Documenso's database, opened: pass `store` and `directory` to `createTokenGate`. */
export interface OpenedDocumenso {
  readonly layout: DocumensoLayout;
  readonly store: DocumensoTokenStore;
  readonly directory: DocumensoDirectory;
}

/**
 * Detects Documenso's layout in `schema` (default `public`) and returns a store and a directory
 * for it. Rejects with `DocumensoSchemaError` when the tables are not Documenso's, or with the
 * driver's error when the database cannot be reached.
 *
 * @example
 * const { store, directory } = await openDocumenso(pool);
 * const gate = createTokenGate({ store, directory }); // team tokens: ADMIN and MANAGER, as Documenso
 */
export async function openDocumenso(
  pool: Pool,
  options: Omit<DocumensoOptions, "layout"> = {},
): Promise<OpenedDocumenso> {
  const layout = await detectDocumensoLayout(pool, options.schema ?? "public");
  return {
    layout,
    store: new DocumensoTokenStore(pool, { ...options, layout }),
    directory: new DocumensoDirectory(pool, { ...options, layout }),
  };
}
