/**
 * Which of Documenso's table layouts a database holds, read from `information_schema` once, at
 * start-up: a schema tokengate cannot read must stop the application with one clear error, not
 * become a 503 on every request.
 *
 * Two layouts exist in Documenso's history:
 * - `organisations` (Documenso 1.12 and later, v2.x): teams belong to organisations, roles come
 *   from organisation groups, every token has a team.
 * - `teams` (earlier): a team has its own owner, a role is a `"TeamMember"` row, personal tokens
 *   have no team. Migration `20250522054050_add_organisations` replaced it.
 */
import type { Pool } from "pg";
import { quoteSchema } from "../sql";

export type DocumensoLayout = "organisations" | "teams";

/** The columns each layout needs, table by table: what the store and the directory read or write. */
export const DOCUMENSO_COLUMNS: Readonly<
  Record<DocumensoLayout, Readonly<Record<string, readonly string[]>>>
> = {
  organisations: {
    ApiToken: ["id", "name", "token", "algorithm", "expires", "createdAt", "userId", "teamId"],
    User: ["id", "name", "email", "disabled"],
    Team: ["id", "name", "createdAt", "organisationId"],
    Organisation: ["id", "type", "createdAt", "ownerUserId"],
    OrganisationMember: ["id", "userId"],
    OrganisationGroupMember: ["groupId", "organisationMemberId"],
    TeamGroup: ["teamId", "organisationGroupId", "teamRole"],
  },
  teams: {
    ApiToken: ["id", "name", "token", "algorithm", "expires", "createdAt", "userId", "teamId"],
    User: ["id", "name", "email", "disabled"],
    Team: ["id", "name", "ownerUserId"],
    TeamMember: ["teamId", "userId", "role"],
  },
};

/**
 * The database is not one of Documenso's layouts, or lacks what tokengate reads. The message names
 * the schema and every missing table and column; nothing in it comes from a row.
 */
export class DocumensoSchemaError extends Error {
  override readonly name = "DocumensoSchemaError";
  /** What is missing, as `"Table"` or `"Table"."column"`. */
  readonly missing: readonly string[];

  constructor(schema: string, missing: readonly string[], detail: string) {
    super(
      `schema "${schema}" is not a Documenso database tokengate can read: ${detail} missing ${missing.join(", ")}`,
    );
    this.missing = missing;
  }
}

function missingFrom(
  present: ReadonlyMap<string, ReadonlySet<string>>,
  wanted: Readonly<Record<string, readonly string[]>>,
): string[] {
  const missing: string[] = [];
  for (const [table, columns] of Object.entries(wanted)) {
    const found = present.get(table);
    if (!found) missing.push(`"${table}"`);
    else for (const column of columns) if (!found.has(column)) missing.push(`"${table}"."${column}"`);
  }
  return missing;
}

/**
 * Reads the layout of Documenso's tables in `schema` (default `public`). Resolves with the layout,
 * or rejects with a `DocumensoSchemaError` naming what is missing; a database that cannot be
 * reached rejects with the driver's error.
 *
 * @example
 * const layout = await detectDocumensoLayout(pool); // "organisations" on Documenso v2
 */
export async function detectDocumensoLayout(pool: Pool, schema = "public"): Promise<DocumensoLayout> {
  quoteSchema(schema);
  const { rows } = await pool.query<{ table_name: string; column_name: string }>(
    `SELECT table_name, column_name FROM information_schema.columns
     WHERE table_schema = $1 AND table_name = ANY($2::text[])`,
    [schema, [...new Set(Object.values(DOCUMENSO_COLUMNS).flatMap((tables) => Object.keys(tables)))]],
  );
  const present = new Map<string, Set<string>>();
  for (const { table_name, column_name } of rows) {
    const columns = present.get(table_name) ?? new Set<string>();
    present.set(table_name, columns);
    columns.add(column_name);
  }

  const organisations = missingFrom(present, DOCUMENSO_COLUMNS.organisations);
  if (organisations.length === 0) return "organisations";
  // Without organisations at all, the database may predate them: try the older layout.
  if (!present.has("Organisation") && !present.has("TeamGroup")) {
    const teams = missingFrom(present, DOCUMENSO_COLUMNS.teams);
    if (teams.length === 0) return "teams";
    if (present.has("TeamMember")) {
      throw new DocumensoSchemaError(
        schema,
        teams,
        "it has Documenso's pre-organisation team tables, but is",
      );
    }
  }
  throw new DocumensoSchemaError(
    schema,
    organisations,
    "expected Documenso's tables (organisation layout, Documenso 1.12 and later), but it is",
  );
}
