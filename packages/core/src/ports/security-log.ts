/**
 * The token security log's port (issue 14): where lifecycle events are kept, and the cursor its
 * pages are read with. `MemorySecurityLog` (implementations/) and the SQLite and PostgreSQL logs in
 * their packages implement it, and all
 * of them pass `tests/conformance/security-log.ts`. What goes in (`SecurityLogEntry`) is written by
 * `SecurityEventRecorder` (security-events.ts); what comes out is listed by `TokenService.listEvents`
 * and answered by the admin router's `GET <mount>/events`.
 *
 * No entry ever holds a token or its digest: the types below have no field that could carry one.
 */
import type { SecurityEvent, SecurityEventType } from "../lifecycle/schemas";

/** One event as it is appended. */
export interface SecurityLogEntry {
  readonly type: SecurityEventType;
  readonly at: Date;
  /** Who acted: the admin caller, the token's user on a verify; null for an operator at a terminal. */
  readonly actorUserId: number | null;
  readonly tokenId: number | null;
  readonly tokenName: string | null;
  readonly teamId: number | null;
  /**
   * The token's user (its creator). Not shown in the event: it says whose personal token an event
   * with no team belongs to, so the log can answer "my tokens' events" after the token is gone.
   */
  readonly ownerUserId: number | null;
  readonly clientAddress: string | null;
  readonly userAgent: string | null;
  /** 1, or how many refusals an aggregated entry stands for. */
  readonly count: number;
}

/** Where an entry sits in the listing's order: its time, then its id. */
export interface EventPosition {
  readonly at: Date;
  readonly id: number;
}

/** An entry as the log holds it: with the id the log gave it (ids grow in append order). */
export interface StoredSecurityEvent extends SecurityLogEntry {
  readonly id: number;
}

/**
 * Which events to list. Every filter given must hold (AND); newest first: by time, then by id.
 * Not by id alone: instances write their buffered events a second apart, so an event written later
 * (a higher id) may have happened earlier than one another instance wrote first.
 */
export interface SecurityLogQuery {
  /** The events of one team's tokens. */
  readonly teamId?: number | undefined;
  /** The events of one user's personal tokens (no team, `ownerUserId` the user). */
  readonly personalOf?: number | undefined;
  readonly tokenId?: number | undefined;
  /** Paging: only entries that come after this one in the listing's order (older, or same time and lower id). */
  readonly before?: EventPosition | undefined;
  /** At most this many; at least 1. */
  readonly limit: number;
}

/**
 * Where the security log is kept. Small on purpose: append a batch, list a page, prune old rows.
 * `append` returns the entries with their ids, in the order given, so `onEvent` sees what was kept.
 */
export interface SecurityLog {
  readonly name: string;
  append(entries: readonly SecurityLogEntry[]): Promise<StoredSecurityEvent[]>;
  list(query: SecurityLogQuery): Promise<StoredSecurityEvent[]>;
  /**
   * Deletes at most `limit` entries older than `olderThan`, oldest first, and answers how many it
   * deleted: bounded work, so pruning a large backlog never holds the database for long.
   */
  prune(olderThan: Date, limit: number): Promise<number>;
  close?(): Promise<void>;
}

/** The public shape of a stored event: what the admin router answers and `onEvent` receives. */
export function toSecurityEvent(stored: StoredSecurityEvent): SecurityEvent {
  return {
    id: stored.id,
    type: stored.type,
    at: stored.at.toISOString(),
    actorUserId: stored.actorUserId,
    tokenId: stored.tokenId,
    tokenName: stored.tokenName,
    teamId: stored.teamId,
    clientAddress: stored.clientAddress,
    userAgent: stored.userAgent,
    count: stored.count,
  };
}

/**
 * The opaque paging cursor: the position (time and id) of the last entry of a page, in base64url.
 * Callers must not read it; it is checked on the way back in, and anything that did not come from
 * `encodeEventCursor` is refused.
 */
export function encodeEventCursor(position: EventPosition): string {
  return Buffer.from(`e${position.at.getTime()}.${position.id}`).toString("base64url");
}

/** The position a cursor stands for, or null when it is not one `encodeEventCursor` made. */
export function decodeEventCursor(cursor: string): EventPosition | null {
  const text = Buffer.from(cursor, "base64url").toString("utf8");
  const match = /^e(0|[1-9][0-9]{0,14})\.([1-9][0-9]{0,14})$/.exec(text);
  if (!match) return null;
  const at = Number(match[1]);
  const id = Number(match[2]);
  return Number.isSafeInteger(at) && Number.isSafeInteger(id) ? { at: new Date(at), id } : null;
}

/** The listing's order, newest first: later time first, then higher id. */
export function newestFirst(a: EventPosition, b: EventPosition): number {
  return b.at.getTime() - a.at.getTime() || b.id - a.id;
}
