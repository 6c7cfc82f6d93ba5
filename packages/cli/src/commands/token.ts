/**
 * `tokengate token create|list|revoke|rotate`: the token service called as the operator, its
 * results printed for a terminal (the token alone on stdout) and its refusals named by flag.
 */
import type { ApiTokenSummary, Result, TokenGate, TokenGateError } from "@tokengate/core";
import { CommandFailure } from "../usage-error";

const OPERATOR = { kind: "operator" } as const;

/** Where a command writes. stdout carries only the result (a token, a table), so it can be captured. */
export interface CommandOutput {
  stdout(text: string): void;
  stderr(text: string): void;
}

// The service names its request fields; a person at a terminal typed flags.
const FLAG_OF_FIELD: Record<string, string> = {
  tokenName: "--name",
  expirationDate: "--expires",
  scopes: "--scope",
  teamId: "--team",
  userId: "--user",
  gracePeriodSeconds: "--grace",
  id: "<id>",
};

/**
 * The value of a service result, or a `CommandFailure` whose message names the field and the flag.
 * The service's messages never contain a token or a digest, so they are safe to print.
 */
function unwrap<T>(result: Result<T>, subject?: string): T {
  if (result.ok) return result.value;
  throw new CommandFailure(describeFailure(result.error, subject));
}

function describeFailure(error: TokenGateError, subject?: string): string {
  if (error.code === "not_found") return `${subject ?? "token"} not found`;
  const issue = error.issues?.[0];
  if (issue) {
    const flag = FLAG_OF_FIELD[issue.field.split(".")[0]!];
    return `${issue.field}: ${issue.message}${flag ? ` (${flag})` : ""}`;
  }
  return error.message;
}

export interface CreateTokenInput {
  readonly userId: number;
  readonly teamId?: number | undefined;
  readonly name: string;
  /** The API's `expirationDate`: a preset (`30d`, `ONE_MONTH`…), an ISO-8601 instant, or null (never, the default). */
  readonly expires?: string | null | undefined;
  readonly scopes?: readonly string[] | undefined;
}

/** `tokengate token create`: the token alone on stdout, what it is on stderr. */
export async function createTokenCommand(gate: TokenGate, input: CreateTokenInput, out: CommandOutput) {
  const created = unwrap(
    await gate.service.create(
      OPERATOR,
      {
        tokenName: input.name,
        teamId: input.teamId ?? null,
        expirationDate: input.expires ?? null,
        scopes: [...(input.scopes ?? [])],
      },
      input.userId,
    ),
  );
  const record = await gate.store.findById(created.id);
  const expires = record?.expiresAt ? `expires ${record.expiresAt.toISOString()}` : "never expires";
  const owner =
    input.teamId === undefined ? `user ${input.userId}` : `team ${input.teamId} as user ${input.userId}`;
  out.stderr(`created token ${created.id} for ${owner}; ${expires}. It is shown this once:\n`);
  out.stdout(`${created.token}\n`);
}

function row(token: ApiTokenSummary): string[] {
  const status =
    token.replacedById === null ? token.status : `${token.status}, replaced by ${token.replacedById}`;
  return [
    String(token.id),
    token.name,
    token.teamId === null ? "-" : String(token.teamId),
    status,
    token.expiresAt ?? "never",
    token.lastUsedAt ?? "never",
    token.scopes.length ? token.scopes.join(" ") : "-",
  ];
}

/** Lines with columns padded to their widest cell. */
export function formatTable(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: readonly string[]) =>
    cells
      .map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i]!)))
      .join("  ")
      .trimEnd();
  return `${[header, ...rows].map(line).join("\n")}\n`;
}

/** `tokengate token list`: one row per token, never the token itself. */
export async function listTokensCommand(
  gate: TokenGate,
  filter: { userId?: number; teamId?: number },
  options: { json: boolean },
  out: CommandOutput,
) {
  const tokens = unwrap(await gate.service.list(OPERATOR, filter));
  if (options.json) {
    out.stdout(`${JSON.stringify({ tokens }, null, 2)}\n`);
    return;
  }
  if (tokens.length === 0) {
    out.stderr(
      filter.teamId === undefined
        ? `user ${filter.userId} has no personal tokens\n`
        : `team ${filter.teamId} has no tokens\n`,
    );
    return;
  }
  out.stdout(
    formatTable(["ID", "NAME", "TEAM", "STATUS", "EXPIRES", "LAST USED", "SCOPES"], tokens.map(row)),
  );
}

/** `tokengate token revoke`: gone from the store, and from every cache and server, before it returns. */
export async function revokeTokenCommand(gate: TokenGate, id: number, out: CommandOutput) {
  unwrap(await gate.service.delete(OPERATOR, id), `token ${id}`);
  out.stdout(`revoked token ${id}\n`);
}

/** `tokengate token rotate`: the successor alone on stdout; when the old one stops, on stderr. */
export async function rotateTokenCommand(
  gate: TokenGate,
  id: number,
  /** `expires`: the API's `expirationDate` (null: never); undefined keeps the old token's lifetime. */
  options: { graceSeconds: number; expires?: string | null | undefined },
  out: CommandOutput,
) {
  const request: { gracePeriodSeconds: number; expirationDate?: string | null } = {
    gracePeriodSeconds: options.graceSeconds,
  };
  if (options.expires !== undefined) request.expirationDate = options.expires;
  const rotated = unwrap(await gate.service.rotate(OPERATOR, id, request), `token ${id}`);
  const until =
    options.graceSeconds === 0
      ? "revoked now"
      : `keeps working until ${rotated.previous.expiresAt ?? "never"}`;
  out.stderr(
    `token ${id} replaced by token ${rotated.id}; token ${id} ${until}. The new token, shown this once:\n`,
  );
  out.stdout(`${rotated.token}\n`);
}
