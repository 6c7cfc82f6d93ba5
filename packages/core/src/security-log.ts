/**
 * The token security log's port (issue 14): where lifecycle events are kept, and the memory
 * implementation. SQLite and PostgreSQL implement the same port in their packages, and all of them
 * pass `tests/conformance/security-log.ts`. What goes in (`SecurityLogEntry`) is written by
 * `SecurityEventRecorder` (security-events.ts); what comes out is listed by `TokenService.listEvents`
 * and answered by the admin router's `GET <mount>/events`.
 *
 * No entry ever holds a token or its digest: the types below have no field that could carry one.
 */
import type { SecurityEvent, SecurityEventType } from "./schemas";

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

/** Whether a stored entry answers a query (the memory log's filter; the SQL logs say it in SQL). */
function matches(entry: StoredSecurityEvent, query: SecurityLogQuery): boolean {
  if (query.teamId !== undefined && entry.teamId !== query.teamId) return false;
  if (query.personalOf !== undefined && (entry.teamId !== null || entry.ownerUserId !== query.personalOf)) {
    return false;
  }
  if (query.tokenId !== undefined && entry.tokenId !== query.tokenId) return false;
  if (query.before !== undefined && newestFirst(query.before, entry) >= 0) return false;
  return true;
}

/**
 * A `SecurityLog` in process memory, for tests and single-process servers. It keeps at most
 * `maxEntries` (default 10 000), dropping the oldest, so a long-running process cannot grow it
 * without bound; a log that must survive a restart belongs in SQLite or PostgreSQL.
 */
export class MemorySecurityLog implements SecurityLog {
  readonly name = "memory";
  readonly #max: number;
  // Ascending by id: appends go on the end, the oldest come off the front.
  #entries: StoredSecurityEvent[] = [];
  #nextId = 1;

  constructor(options: { maxEntries?: number } = {}) {
    const max = options.maxEntries ?? 10_000;
    if (!Number.isInteger(max) || max < 1) {
      throw new TypeError("MemorySecurityLog: maxEntries must be a positive whole number");
    }
    this.#max = max;
  }

  async append(entries: readonly SecurityLogEntry[]): Promise<StoredSecurityEvent[]> {
    const stored = entries.map((entry) => ({ ...entry, id: this.#nextId++ }));
    this.#entries.push(...stored);
    if (this.#entries.length > this.#max) this.#entries.splice(0, this.#entries.length - this.#max);
    return stored;
  }

  async list(query: SecurityLogQuery): Promise<StoredSecurityEvent[]> {
    return this.#entries
      .filter((entry) => matches(entry, query))
      .sort(newestFirst)
      .slice(0, query.limit);
  }

  async prune(olderThan: Date, limit: number): Promise<number> {
    // Oldest first, as the SQL logs do: the entries older than the cut, up to `limit` of them.
    const doomed = this.#entries
      .filter((entry) => entry.at.getTime() < olderThan.getTime())
      .slice(0, limit)
      .map((entry) => entry.id);
    if (doomed.length === 0) return 0;
    const gone = new Set(doomed);
    this.#entries = this.#entries.filter((entry) => !gone.has(entry.id));
    return doomed.length;
  }
}
