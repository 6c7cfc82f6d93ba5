/**
 * Writing the token security log (issue 14) without slowing or failing a request. The service
 * (created, rotated, revoked) and the verifier (expired_on_use, refused_disabled_owner,
 * rate_limited) each make one call here; this file decides what an entry holds, buffers entries in
 * memory and appends them to the `SecurityLog` in batches off the request path, aggregates
 * refusals so an attack writes a bounded number of rows, calls the application's `onEvent`, and
 * prunes entries past the retention.
 *
 * The aggregation rule, for the three refusals of the verify path: per event type and token, the
 * first refusal in a window (default 60 s) is an entry of its own (count 1), written at the next
 * flush; every later refusal in that window is counted into one more entry, written when the window
 * closes, whose `count` says how many it stands for. So a token hammered without end writes at
 * most two rows per type per window per instance, however fast it is sent. Refusals with no token
 * (an unknown or malformed credential, the failure limiter's 429) are not token events and are not
 * logged here: there is no token, team or owner to file them under.
 *
 * Longer than most files here because buffering, aggregation, the hook and pruning share one
 * buffer and one flush: apart, each would reach into the others' state.
 */

import type { SecurityEvent, SecurityEventType } from "../lifecycle/schemas";
import type { Clock } from "../ports/clock";
import { type Logger, OnceLog } from "../ports/logger";
import type { RequestHeaders } from "../ports/request-headers";
import {
  type SecurityLog,
  type SecurityLogEntry,
  type StoredSecurityEvent,
  toSecurityEvent,
} from "../ports/security-log";
import { clientAddressFrom, type TrustedProxies } from "../verify/client-address";

/** What a request says about its client, as the security log keeps it (see `requestClientOf`). */
export interface RequestClient {
  /** The socket's peer. */
  readonly clientAddress?: string | undefined;
  /** The raw `X-Forwarded-For`, believed only from a trusted proxy. */
  readonly forwardedFor?: string | readonly string[] | null | undefined;
  readonly userAgent?: string | readonly string[] | null | undefined;
}

/**
 * The client of a request that carries its headers (the verifier's `CredentialInput`, the admin
 * call): its address and the two headers the log asks for.
 */
export function requestClientOf(
  clientAddress: string | undefined,
  request: Partial<RequestHeaders>,
): RequestClient {
  return {
    clientAddress,
    forwardedFor: request.header?.("x-forwarded-for"),
    userAgent: request.header?.("user-agent"),
  };
}

/** The token an event is about: a stored token or a verified identity's. */
export interface EventToken {
  readonly id: number;
  readonly name: string;
  readonly teamId: number | null;
  /** Its creator (null for a Documenso legacy team token). */
  readonly userId: number | null;
}

/** Receives each event once it is written; see `SecurityEventRecorderOptions.onEvent`. */
export type SecurityEventHook = (event: SecurityEvent) => void | Promise<void>;

export interface SecurityEventRecorderOptions {
  /** Where events are kept; undefined keeps none (events still reach `onEvent`). */
  readonly log: SecurityLog | undefined;
  readonly clock: Clock;
  readonly logger: Logger;
  /** Called with each event after it is written. Its errors are caught and logged, once. */
  readonly onEvent?: SecurityEventHook | undefined;
  readonly trustedProxies?: TrustedProxies | undefined;
  /** Entries older than this many days are pruned. Default 90. */
  readonly retentionDays?: number | undefined;
  /** How often buffered entries are written, in ms. Default 1000. */
  readonly flushIntervalMs?: number | undefined;
  /** The aggregation window of the verify path's refusals, in ms. Default 60 000. */
  readonly aggregateWindowMs?: number | undefined;
  /** Entries held while the log cannot be written; beyond it the oldest are dropped. Default 10 000. */
  readonly maxPending?: number | undefined;
}

export const DEFAULT_RETENTION_DAYS = 90;
const DAY_MS = 24 * 3600 * 1000;
/** Rows deleted per prune: bounded work per flush. */
const PRUNE_BATCH = 1000;
/** How often a prune runs at most, unless the last one found a full batch. */
const PRUNE_EVERY_MS = 60_000;
const MAX_USER_AGENT = 256;
const MAX_ADDRESS = 64;

// Control and format characters have no business in a log line or on the token page.
// biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what it removes
const UNPRINTABLE = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]|\p{Cf}/gu;

function printable(value: string | readonly string[] | null | undefined, max: number): string | null {
  if (value === null || value === undefined) return null;
  const text = (typeof value === "string" ? value : value.join(", ")).replace(UNPRINTABLE, "").trim();
  if (text === "") return null;
  return [...text].slice(0, max).join("");
}

/** Checks the recorder's numeric options once, with a `TypeError` naming the option. */
function positive(value: number | undefined, fallback: number, option: string): number {
  if (value === undefined) return fallback;
  if (!(typeof value === "number" && Number.isFinite(value) && value > 0)) {
    throw new TypeError(`${option} must be a positive number`);
  }
  return value;
}

/** The events of the verify path, which are aggregated. */
type RefusalType = "expired_on_use" | "refused_disabled_owner" | "rate_limited";

interface Aggregate {
  /**
   * The window's first refusal was written on its own; this counts the rest. Null until a second
   * refusal comes; then counted in place, so a flood allocates nothing per request.
   */
  entry: { -readonly [K in keyof SecurityLogEntry]: SecurityLogEntry[K] } | null;
  readonly windowEnds: number;
}

/**
 * Buffers security events and writes them in batches. `record` and `refusedOnUse` are synchronous
 * and never throw: a log that cannot be written is logged once, and its entries wait (bounded) for
 * the next flush.
 */
export class SecurityEventRecorder {
  readonly log: SecurityLog | undefined;
  readonly #config: SecurityEventRecorderOptions;
  readonly #retentionMs: number;
  readonly #intervalMs: number;
  readonly #windowMs: number;
  readonly #maxPending: number;
  #pending: SecurityLogEntry[] = [];
  // Open windows, per event type then token id: number keys, so a flood builds no strings.
  readonly #open = new Map<RefusalType, Map<number, Aggregate>>();
  #openCount = 0;
  #timer: NodeJS.Timeout | undefined;
  #flushing: Promise<void> = Promise.resolve();
  #closed = false;
  #lastPrune = Number.NEGATIVE_INFINITY;
  #pruneBacklog = false;
  #unloggedId = 1;
  readonly #writeLog: OnceLog;
  readonly #hookLog: OnceLog;
  readonly #pruneLog: OnceLog;
  #dropped = 0;

  constructor(options: SecurityEventRecorderOptions) {
    if (options.onEvent !== undefined && typeof options.onEvent !== "function") {
      throw new TypeError("onEvent must be a function");
    }
    this.log = options.log;
    this.#config = options;
    this.#retentionMs =
      positive(options.retentionDays, DEFAULT_RETENTION_DAYS, "securityLogRetentionDays") * DAY_MS;
    this.#intervalMs = positive(options.flushIntervalMs, 1000, "flushIntervalMs");
    this.#windowMs = positive(options.aggregateWindowMs, 60_000, "aggregateWindowMs");
    this.#maxPending = positive(options.maxPending, 10_000, "maxPending");
    this.#writeLog = new OnceLog(options.logger, "security log");
    this.#hookLog = new OnceLog(options.logger, "security log onEvent hook");
    this.#pruneLog = new OnceLog(options.logger, "security log (pruning)");
  }

  /** Whether anything listens: with neither a log nor a hook, events are not even built. */
  get active(): boolean {
    return this.log !== undefined || this.#config.onEvent !== undefined;
  }

  /** A lifecycle event (created, rotated, revoked) done by `actorUserId` (null: an operator). */
  record(
    type: "created" | "rotated" | "revoked",
    token: EventToken,
    actorUserId: number | null,
    client: RequestClient | undefined,
  ): void {
    if (!this.active) return;
    this.#enqueue(this.#entry(type, token, actorUserId, client, this.#config.clock()));
  }

  /** A refusal on the verify path, aggregated per type and token per window (see the module comment). */
  refusedOnUse(
    type: RefusalType,
    token: EventToken,
    actorUserId: number | null,
    client: RequestClient,
    now: Date,
  ): void {
    if (!this.active) return;
    let windows = this.#open.get(type);
    if (!windows) {
      windows = new Map();
      this.#open.set(type, windows);
    }
    const open = windows.get(token.id);
    if (open && now.getTime() < open.windowEnds) {
      // Same window: one more refusal counted into the aggregate, which keeps the time, client and
      // agent of the first refusal it counts.
      if (open.entry) open.entry.count++;
      else open.entry = this.#entry(type, token, actorUserId, client, now);
      this.#arm();
      return;
    }
    if (open) this.#closeAggregate(windows, token.id, open);
    if (this.#openCount >= this.#maxPending) {
      this.#drop(1);
      return;
    }
    const first = this.#entry(type, token, actorUserId, client, now);
    this.#enqueue(first);
    windows.set(token.id, { entry: null, windowEnds: now.getTime() + this.#windowMs });
    this.#openCount++;
  }

  #entry(
    type: SecurityEventType,
    token: EventToken,
    actorUserId: number | null,
    client: RequestClient | undefined,
    at: Date,
  ): SecurityLogEntry {
    const address = client
      ? clientAddressFrom(client.clientAddress, client.forwardedFor, this.#config.trustedProxies)
      : undefined;
    return {
      type,
      at,
      actorUserId,
      tokenId: token.id,
      tokenName: token.name,
      teamId: token.teamId,
      ownerUserId: token.userId,
      clientAddress: printable(address, MAX_ADDRESS),
      userAgent: printable(client?.userAgent, MAX_USER_AGENT),
      count: 1,
    };
  }

  #closeAggregate(windows: Map<number, Aggregate>, tokenId: number, open: Aggregate): void {
    windows.delete(tokenId);
    this.#openCount--;
    if (open.entry) this.#enqueue({ ...open.entry });
  }

  #enqueue(entry: SecurityLogEntry): void {
    this.#pending.push(entry);
    if (this.#pending.length > this.#maxPending) this.#drop(this.#pending.splice(0, 1).length);
    this.#arm();
  }

  #drop(count: number): void {
    this.#dropped += count;
    // Once per run of drops: the buffer is full because the log has been failing for a while.
    if (this.#dropped === count) {
      this.#config.logger.warn("security log: too many entries waiting to be written; dropping the oldest");
    }
  }

  #arm(): void {
    if (this.#timer || this.#closed) return;
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      void this.flush(false);
    }, this.#intervalMs);
    this.#timer.unref();
  }

  /**
   * Writes what is waiting. `all` (the default, for shutdown and tests) also writes the
   * aggregates of windows still open; the timer writes only those whose window has closed.
   */
  flush(all = true): Promise<void> {
    this.#flushing = this.#flushing.then(() => this.#write(all));
    return this.#flushing;
  }

  async #write(all: boolean): Promise<void> {
    const now = this.#config.clock().getTime();
    for (const windows of this.#open.values()) {
      for (const [tokenId, open] of windows) {
        if (all || now >= open.windowEnds) this.#closeAggregate(windows, tokenId, open);
      }
    }
    // A window still open is written when it closes: keep the timer going until then.
    if (this.#openCount > 0) this.#arm();
    if (this.#pending.length === 0) return;
    const batch = this.#pending;
    this.#pending = [];
    let stored: StoredSecurityEvent[];
    try {
      stored = this.log
        ? await this.log.append(batch)
        : batch.map((entry) => ({ ...entry, id: this.#unloggedId++ }));
      this.#writeLog.recover();
      this.#dropped = 0;
    } catch (cause) {
      // Back in front of anything newer, within the bound; a later flush retries.
      this.#pending = [...batch, ...this.#pending];
      const excess = this.#pending.length - this.#maxPending;
      if (excess > 0) this.#drop(this.#pending.splice(0, excess).length);
      this.#writeLog.fail(cause);
      this.#arm();
      return;
    }
    this.#tell(stored);
    await this.#prune(now);
  }

  #tell(stored: readonly StoredSecurityEvent[]): void {
    const hook = this.#config.onEvent;
    if (!hook) return;
    for (const entry of stored) {
      try {
        const result = hook(toSecurityEvent(entry));
        if (result && typeof (result as Promise<void>).then === "function") {
          (result as Promise<void>).then(
            () => this.#hookLog.recover(),
            (cause: unknown) => this.#hookLog.fail(cause),
          );
        } else {
          this.#hookLog.recover();
        }
      } catch (cause) {
        this.#hookLog.fail(cause);
      }
    }
  }

  async #prune(now: number): Promise<void> {
    if (!this.log) return;
    if (!this.#pruneBacklog && now - this.#lastPrune < PRUNE_EVERY_MS) return;
    this.#lastPrune = now;
    try {
      const deleted = await this.log.prune(new Date(now - this.#retentionMs), PRUNE_BATCH);
      // A full batch means more is waiting: prune again at the next flush, not in a loop now.
      this.#pruneBacklog = deleted >= PRUNE_BATCH;
      this.#pruneLog.recover();
    } catch (cause) {
      this.#pruneLog.fail(cause);
    }
  }

  /** Writes everything waiting, open windows included, and stops the timer. Call on shutdown. */
  async close(): Promise<void> {
    this.#closed = true;
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = undefined;
    await this.flush(true);
  }
}
