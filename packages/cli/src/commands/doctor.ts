/**
 * `tokengate doctor`: can tokengate serve this store? With `--documenso`, the store is Documenso's
 * own database: it prints the layout found, how many tokens and teams tokengate sees, and one real
 * lookup through the store and directory a server would use (`inspectDocumenso`). Without it, the
 * store is tokengate's own (`--store` as everywhere else, which must exist). Exit 0 when it can
 * serve, 1 with the reason when it cannot, within the CLI's deadline like every one-shot command.
 * It only reads.
 */
import { randomBytes } from "node:crypto";
import { type DocumensoReport, inspectDocumenso } from "@tokengate/postgres";
import pg from "pg";
import { COMMAND_DEADLINE_MS, POSTGRES_CONNECT_MS, POSTGRES_QUERY_MS, withinDeadline } from "../deadline";
import { openStore } from "../open-store";
import { describeLocation, type StoreLocation } from "../store-location";
import { CommandFailure, UsageError } from "../usage-error";
import type { CommandOutput } from "./token";

export interface DoctorInput {
  readonly storeUrl: string;
  readonly documenso: boolean;
  readonly baseDir: string;
}

const LAYOUTS: Record<DocumensoReport["layout"], string> = {
  organisations: "organisations (Documenso 1.12 and later: roles from organisation groups)",
  teams: "teams (Documenso before 1.12: roles from TeamMember)",
};

/** Documenso's database as `--store` names it; Prisma's schema, `public`, unless `?schema=` says. */
function documensoLocation(url: string): StoreLocation & { kind: "postgres" } {
  if (!/^postgres(ql)?:\/\//.test(url)) {
    throw new UsageError("doctor --documenso needs --store postgres://… (Documenso's database)");
  }
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new UsageError("--store: not a valid postgres:// URL");
  }
  const schema = parsed.searchParams.get("schema") ?? "public";
  if (!/^[A-Za-z_][A-Za-z0-9_]{0,62}$/.test(schema)) {
    throw new UsageError(`--store: schema must be a plain SQL identifier, got ${JSON.stringify(schema)}`);
  }
  parsed.searchParams.delete("schema");
  return { kind: "postgres", connectionString: parsed.toString(), schema };
}

function sampleLine(report: DocumensoReport): string {
  const { sample } = report;
  if (sample.kind === "none") return "ok (no tokens yet; an unknown token finds nothing)";
  if (sample.actingUserId === null) {
    return `ok: the newest token, ${sample.tokenId}, resolves, but the user it acts as is gone (it is refused)`;
  }
  const team = sample.teamId === null ? "no team" : `team ${sample.teamId} (role ${sample.role ?? "none"})`;
  return `ok: the newest token, ${sample.tokenId}, acts as user ${sample.actingUserId} in ${team}`;
}

/** Why a failure means tokengate cannot serve the database, in one line a person can act on. */
function reason(error: unknown): string {
  return error instanceof Error ? error.message.split("\n")[0]! : String(error);
}

async function doctorDocumenso(url: string, out: CommandOutput): Promise<void> {
  const location = documensoLocation(url);
  out.stdout(`database     ${describeLocation(location)}\n`);
  const pool = new pg.Pool({
    connectionString: location.connectionString,
    connectionTimeoutMillis: POSTGRES_CONNECT_MS,
    query_timeout: POSTGRES_QUERY_MS,
    max: 1,
  });
  // An idle client dying while the doctor runs must fail the check, not the process.
  pool.on("error", () => {});
  try {
    const report = await inspectDocumenso(pool, { schema: location.schema }).catch((error: unknown) => {
      throw new CommandFailure(`tokengate cannot serve this database: ${reason(error)}`);
    });
    out.stdout(
      [
        `layout       ${LAYOUTS[report.layout]}`,
        `tokens       ${report.tokens}`,
        `teams        ${report.teams}`,
        `team tokens  managed by ${report.teamTokenRoles.join(", ")}`,
        `lookup       ${sampleLine(report)}`,
        "tokengate can serve this database.",
        "",
      ].join("\n"),
    );
  } finally {
    await pool.end();
  }
}

async function doctorStore(url: string, baseDir: string, out: CommandOutput): Promise<void> {
  // A store that does not exist (no file, no tables) is refused here, with what is missing named.
  const opened = await openStore(url, baseDir, { mustExist: true, queryTimeoutMs: POSTGRES_QUERY_MS });
  out.stdout(`store        ${describeLocation(opened.location)}\n`);
  try {
    await opened.store.findByDigest(randomBytes(64).toString("hex")).catch((error: unknown) => {
      throw new CommandFailure(`tokengate cannot serve this store: ${reason(error)}`);
    });
    out.stdout("lookup       ok (an unknown token finds nothing)\ntokengate can serve this store.\n");
  } finally {
    await opened.close();
  }
}

/** `tokengate doctor [--documenso] --store …`: resolves when tokengate can serve the store. */
export async function doctorCommand(input: DoctorInput, out: CommandOutput): Promise<void> {
  await withinDeadline("tokengate doctor", COMMAND_DEADLINE_MS, () =>
    input.documenso ? doctorDocumenso(input.storeUrl, out) : doctorStore(input.storeUrl, input.baseDir, out),
  );
}
