/**
 * A `SecurityLog` in process memory (the port is ports/security-log.ts), for tests and
 * single-process servers. It passes the same conformance suite as the SQLite and PostgreSQL logs.
 */
import {
  newestFirst,
  type SecurityLog,
  type SecurityLogEntry,
  type SecurityLogQuery,
  type StoredSecurityEvent,
} from "../ports/security-log";

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
