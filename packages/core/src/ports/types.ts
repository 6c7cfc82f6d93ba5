/**
 * The ports the core is written against: the token store, the directory of users and teams, the
 * credential cache and lookup, and the identity and principal types they deal in. SQLite,
 * PostgreSQL, Redis and the memory implementations satisfy them, each through one conformance suite.
 *
 * One file rather than one per port: the records they exchange (`TokenRecord`, `ResolvedCredential`)
 * are shared by all of them.
 */
import type { CacheHealth } from "../observability/health";
import type { RequestClient } from "../observability/security-events";

/** A stored token. `digest` never leaves the server: no response schema includes it. */
export interface TokenRecord {
  readonly id: number;
  readonly name: string;
  readonly digest: string;
  /** Which digester made `digest` (`SHA512` for Documenso's rows). */
  readonly algorithm: string;
  /** The creator; null only for Documenso's legacy team tokens, which act as the team's owner. */
  readonly userId: number | null;
  readonly teamId: number | null;
  readonly createdAt: Date;
  readonly expiresAt: Date | null;
  readonly lastUsedAt: Date | null;
  readonly scopes: readonly string[];
  /** Set on a token that rotation replaced: the id of its successor. */
  readonly replacedById: number | null;
}

/** A token to insert: the store assigns the id; it has not been used or replaced yet. */
export type NewTokenRecord = Omit<TokenRecord, "id" | "lastUsedAt" | "replacedById">;

/**
 * The system of record for tokens. Lookups by digest go through a unique index: no secret is
 * compared in user space, so there is nothing to time.
 */
export interface TokenStore {
  readonly name: string;
  findByDigest(digest: string): Promise<TokenRecord | null>;
  findById(id: number): Promise<TokenRecord | null>;
  insert(token: NewTokenRecord): Promise<TokenRecord>;
  /** Personal tokens of a user (teamId null), newest first. */
  listByUser(userId: number): Promise<TokenRecord[]>;
  /** A team's tokens, newest first. */
  listByTeam(teamId: number): Promise<TokenRecord[]>;
  /** Removes the token; false when there was none. */
  delete(id: number): Promise<boolean>;
  /** Ends a rotated token's life at `expiresAt` and points it at its successor. */
  markReplaced(id: number, replacedById: number, expiresAt: Date | null): Promise<void>;
  /** Writes a batch of last-used times; an entry for a deleted token is ignored. */
  touchLastUsed(entries: ReadonlyArray<{ readonly id: number; readonly at: Date }>): Promise<void>;
  /**
   * Optional: a reader that fetches everything a lookup needs about a digest in one round trip (the
   * token, its creator, its team, the team's owner and both their roles), offered only for a
   * `directory` whose tables this store can join: the one its package opens over the same database.
   * For any other directory it returns null. `storeLookup` prefers the reader and still makes every
   * decision itself (see `credentialFromRows`), so both paths give the same answer.
   */
  credentialReader?(directory: Directory): CredentialReader | null;
  /** Resolves when the store answers a trivial query (`gate.health()`); rejects when it cannot be reached. */
  ping?(): Promise<void>;
  close?(): Promise<void>;
}

/**
 * The rows behind one digest, as read by one joined statement. Each field is what the token's ids
 * point at, with no rule applied: which user the token acts as is decided in core.
 */
export interface CredentialRows {
  readonly token: TokenRecord;
  /** The user `token.userId` names: null when it is null or names nobody. */
  readonly creator: DirectoryUser | null;
  /** The team `token.teamId` names: null for a personal token or a team that is gone. */
  readonly team: DirectoryTeam | null;
  /** The user `team.ownerUserId` names. */
  readonly owner: DirectoryUser | null;
  /** The creator's role in `token.teamId` (null: not a member). Read only when `team` is found. */
  readonly creatorRole: TeamRole | null;
  /** The owner's role in the team (null: not a member). Read only when `team` is found. */
  readonly ownerRole: TeamRole | null;
}

/** Reads a digest's `CredentialRows` in one round trip; null when no token has that digest. */
export type CredentialReader = (digest: string) => Promise<CredentialRows | null>;

export type TeamRole = "ADMIN" | "MANAGER" | "MEMBER";

export interface DirectoryUser {
  readonly id: number;
  readonly name?: string | null;
  readonly email?: string | null;
  readonly disabled: boolean;
}

export interface DirectoryTeam {
  readonly id: number;
  readonly name?: string | null;
  readonly ownerUserId: number;
}

/**
 * What tokengate asks of the application's users and teams. The application answers from its own
 * tables; the memory, SQLite and PostgreSQL packages offer ready ones for apps that have none.
 */
export interface Directory {
  readonly name: string;
  findUser(userId: number): Promise<DirectoryUser | null>;
  findTeam(teamId: number): Promise<DirectoryTeam | null>;
  /** The user's role in the team, or null when the user is not a member. */
  findRole(teamId: number, userId: number): Promise<TeamRole | null>;
  /**
   * The roles that may manage a team's tokens in the system this directory reads, when it has a
   * rule of its own (Documenso: ADMIN and MANAGER). `createTokenGate` uses them unless its
   * `teamTokenRoles` option says otherwise.
   */
  readonly teamTokenRoles?: readonly TeamRole[];
  /**
   * The teams the user belongs to, with the user's role in each. Optional: the token page uses it
   * to offer the user's teams; without it the page asks for a team id instead.
   */
  listTeamsOf?(userId: number): Promise<Array<{ team: DirectoryTeam; role: TeamRole }>>;
}

/**
 * Everything verification needs about one digest, gathered once so a cache can hold it whole:
 * the token, the user it acts as, and for team tokens the team and its owner.
 */
export interface ResolvedCredential {
  readonly token: TokenRecord;
  /** The creator, or the team's owner for a legacy team token with no creator. */
  readonly actingUser: DirectoryUser | null;
  readonly team: DirectoryTeam | null;
  readonly teamOwner: DirectoryUser | null;
  /** The acting user's role in the team (null: not a member, or a personal token). */
  readonly role: TeamRole | null;
}

/** Where a lookup's answer came from: the in-process tier, Redis, or the store itself. */
export type CacheTier = "memory" | "redis" | "store";

/** Filled in by a lookup that can tell which tier answered (for the verify span and histogram). */
export interface LookupReport {
  tier: CacheTier | undefined;
}

/** Finds the credential for a digest. Throws only when the source cannot be reached. */
export interface CredentialLookup {
  /** @param report when given, a cache sets `report.tier` to the tier that answered. */
  lookup(digest: string, report?: LookupReport): Promise<ResolvedCredential | null>;
  /**
   * The answer already held in memory, without I/O: the credential, `null` for a digest known to be
   * unknown, or `undefined` when only `lookup` can tell. Optional; lets a cache hit skip the awaits.
   */
  peek?(digest: string): ResolvedCredential | null | undefined;
}

/**
 * A cache in front of a `CredentialLookup`. `invalidate` must not resolve before every tier (and,
 * for shared caches, every instance's notification) has been told: revocation awaits it.
 */
export interface CredentialCache extends CredentialLookup {
  readonly name: string;
  invalidate(digests: readonly string[]): Promise<void>;
  /** Drops everything: a user was disabled or a membership changed. */
  invalidateAll(): Promise<void>;
  /** The cache's own state and its invalidation channel's, for `gate.health()`. Synchronous: no I/O. */
  health?(): CacheHealth;
  close?(): Promise<void>;
}

/** What a cache reports as it works (the gate's telemetry implements it). Calls must be cheap. */
export interface CacheObserver {
  /** A tier was read for a digest. */
  cacheRead(tier: "memory" | "redis", hit: boolean): void;
  /** An invalidation was acknowledged by every instance (or given up on) after `seconds`. */
  invalidationSettled(seconds: number, acknowledged: boolean): void;
}

/**
 * Builds a cache around the lookup that reads the store (passed in by `createTokenGate`, with the
 * gate's telemetry as `observer` unless it is turned off).
 */
export type CredentialCacheFactory = (source: CredentialLookup, observer?: CacheObserver) => CredentialCache;

/** The identity attached to an authenticated request. */
export interface AuthIdentity {
  readonly tokenId: number;
  readonly tokenName: string;
  /** The user the request acts as: the creator, or the team's owner for a legacy team token. */
  readonly userId: number;
  readonly teamId: number | null;
  readonly scopes: readonly string[];
  readonly expiresAt: Date | null;
  readonly user: DirectoryUser;
  readonly team: DirectoryTeam | null;
}

/**
 * Who is calling the admin router or the service: a signed-in user, or an operator at a terminal.
 * `client` is where the user's request came from, for the security log (see `RequestClient`).
 */
export type Principal =
  | { readonly kind: "user"; readonly userId: number; readonly client?: RequestClient | undefined }
  | { readonly kind: "operator" };

/**
 * Thrown by every `TokenStore.insert` when the digest exists already. Its message never carries
 * the digest (a driver's own unique-violation message would quote it).
 */
export class DuplicateDigestError extends Error {
  override readonly name = "DuplicateDigestError";
  constructor(store: string) {
    super(`${store}: a token with this digest already exists`);
  }
}
