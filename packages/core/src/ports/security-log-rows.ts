/**
 * The security log's row, as the SQL logs keep it in their `security_events` table (SQLite in
 * @tokengate/sqlite, PostgreSQL in @tokengate/postgres): its columns, a row read back as a
 * `StoredSecurityEvent`, and an entry as the insert's values. Written once so that both logs map
 * the same columns to the same fields; each says only how its driver hands over the id and the time.
 */
import type { SecurityEventType } from "../lifecycle/schemas";
import type { SecurityLogEntry, StoredSecurityEvent } from "./security-log";

/** The columns an insert fills, in the order `securityEventValues` gives their values. */
export const SECURITY_EVENT_INSERT_COLUMNS =
  "type, at, actor_user_id, token_id, token_name, team_id, owner_user_id, client_address, user_agent, count";

/** The columns a read selects: the id, then the inserted ones. */
export const SECURITY_EVENT_COLUMNS = `id, ${SECURITY_EVENT_INSERT_COLUMNS}`;

/** A row of `SECURITY_EVENT_COLUMNS`, as either driver returns it. */
export interface SecurityEventRow {
  /** PostgreSQL's node-postgres reads a bigint as text; SQLite gives a number. */
  readonly id: number | string;
  readonly type: SecurityEventType;
  /** PostgreSQL gives a `Date`; SQLite keeps milliseconds since the epoch. */
  readonly at: Date | number;
  readonly actor_user_id: number | null;
  readonly token_id: number | null;
  readonly token_name: string | null;
  readonly team_id: number | null;
  readonly owner_user_id: number | null;
  readonly client_address: string | null;
  readonly user_agent: string | null;
  readonly count: number;
}

/** A row read back as the event the log holds. */
export function securityEventFromRow(row: SecurityEventRow): StoredSecurityEvent {
  return {
    id: Number(row.id),
    type: row.type,
    at: new Date(row.at),
    actorUserId: row.actor_user_id,
    tokenId: row.token_id,
    tokenName: row.token_name,
    teamId: row.team_id,
    ownerUserId: row.owner_user_id,
    clientAddress: row.client_address,
    userAgent: row.user_agent,
    count: row.count,
  };
}

/**
 * An entry as the insert's values, in `SECURITY_EVENT_INSERT_COLUMNS` order; `time` turns its `at`
 * into what the driver stores (a `Date` for PostgreSQL, milliseconds for SQLite).
 */
export function securityEventValues<At>(
  entry: SecurityLogEntry,
  time: (at: Date) => At,
): [
  type: SecurityEventType,
  at: At,
  actorUserId: number | null,
  tokenId: number | null,
  tokenName: string | null,
  teamId: number | null,
  ownerUserId: number | null,
  clientAddress: string | null,
  userAgent: string | null,
  count: number,
] {
  return [
    entry.type,
    time(entry.at),
    entry.actorUserId,
    entry.tokenId,
    entry.tokenName,
    entry.teamId,
    entry.ownerUserId,
    entry.clientAddress,
    entry.userAgent,
    entry.count,
  ];
}
