/**
 * The store and directory ports (ports/types.ts) in process memory, for tests and single-process
 * demos. They pass the same conformance suites as the SQLite and PostgreSQL implementations.
 */
import {
  type CredentialReader,
  type CredentialRows,
  type Directory,
  type DirectoryTeam,
  type DirectoryUser,
  DuplicateDigestError,
  type NewTokenRecord,
  type TeamRole,
  type TokenRecord,
  type TokenStore,
} from "../ports/types";

/** Reads a `MemoryDirectory`'s rows for a token without awaiting (set by the directory's class). */
let directoryRows: (directory: MemoryDirectory, token: TokenRecord) => CredentialRows;

const newestFirst = (a: TokenRecord, b: TokenRecord) =>
  b.createdAt.getTime() - a.createdAt.getTime() || b.id - a.id;

/**
 * A `TokenStore` in process memory: for tests and single-process demos. It passes the same
 * conformance suite as the SQLite and PostgreSQL stores.
 */
export class MemoryTokenStore implements TokenStore {
  readonly name = "memory";
  #byId = new Map<number, TokenRecord>();
  #byDigest = new Map<string, TokenRecord>();
  #nextId = 1;

  async findByDigest(digest: string): Promise<TokenRecord | null> {
    return this.#byDigest.get(digest) ?? null;
  }

  async findById(id: number): Promise<TokenRecord | null> {
    return this.#byId.get(id) ?? null;
  }

  /** Always answers: the store is this process's memory. */
  async ping(): Promise<void> {}

  async insert(token: NewTokenRecord): Promise<TokenRecord> {
    if (this.#byDigest.has(token.digest)) throw new DuplicateDigestError("MemoryTokenStore");
    const record: TokenRecord = {
      ...token,
      scopes: [...token.scopes],
      id: this.#nextId++,
      lastUsedAt: null,
      replacedById: null,
    };
    this.#put(record);
    return record;
  }

  async listByUser(userId: number): Promise<TokenRecord[]> {
    return [...this.#byId.values()].filter((t) => t.teamId === null && t.userId === userId).sort(newestFirst);
  }

  async listByTeam(teamId: number): Promise<TokenRecord[]> {
    return [...this.#byId.values()].filter((t) => t.teamId === teamId).sort(newestFirst);
  }

  async delete(id: number): Promise<boolean> {
    const record = this.#byId.get(id);
    if (!record) return false;
    this.#byId.delete(id);
    this.#byDigest.delete(record.digest);
    return true;
  }

  async markReplaced(id: number, replacedById: number, expiresAt: Date | null): Promise<void> {
    const record = this.#byId.get(id);
    if (record) this.#put({ ...record, replacedById, expiresAt });
  }

  async touchLastUsed(entries: ReadonlyArray<{ id: number; at: Date }>): Promise<void> {
    for (const { id, at } of entries) {
      const record = this.#byId.get(id);
      if (record && (!record.lastUsedAt || record.lastUsedAt < at)) this.#put({ ...record, lastUsedAt: at });
    }
  }

  /**
   * For a `MemoryDirectory`, a reader that takes every row in one synchronous step (one await in
   * all, where reading row by row takes up to three); null for any other directory. Subclasses of
   * either class get null too: they may have changed how a row is read (a test's store that can be
   * switched off, say), and the row-by-row path goes through their methods.
   */
  credentialReader(directory: Directory): CredentialReader | null {
    if (Object.getPrototypeOf(this) !== MemoryTokenStore.prototype) return null;
    if (Object.getPrototypeOf(directory) !== MemoryDirectory.prototype) return null;
    const memory = directory as MemoryDirectory;
    return async (digest) => {
      const token = this.#byDigest.get(digest);
      return token ? directoryRows(memory, token) : null;
    };
  }

  #put(record: TokenRecord) {
    this.#byId.set(record.id, record);
    this.#byDigest.set(record.digest, record);
  }
}

/** A `Directory` in process memory, with the writes a test or a demo needs. */
export class MemoryDirectory implements Directory {
  readonly name = "memory";
  #users = new Map<number, DirectoryUser>();
  #teams = new Map<number, DirectoryTeam>();
  #roles = new Map<string, TeamRole>();

  static {
    directoryRows = (directory, token) => {
      const user = (id: number | null) => (id === null ? null : (directory.#users.get(id) ?? null));
      const role = (teamId: number, userId: number | null) =>
        userId === null ? null : (directory.#roles.get(`${teamId}:${userId}`) ?? null);
      const team = token.teamId === null ? null : (directory.#teams.get(token.teamId) ?? null);
      return {
        token,
        creator: user(token.userId),
        team,
        owner: team && user(team.ownerUserId),
        creatorRole: team && role(team.id, token.userId),
        ownerRole: team && role(team.id, team.ownerUserId),
      };
    };
  }

  async findUser(userId: number): Promise<DirectoryUser | null> {
    return this.#users.get(userId) ?? null;
  }

  async findTeam(teamId: number): Promise<DirectoryTeam | null> {
    return this.#teams.get(teamId) ?? null;
  }

  async findRole(teamId: number, userId: number): Promise<TeamRole | null> {
    return this.#roles.get(`${teamId}:${userId}`) ?? null;
  }

  async listTeamsOf(userId: number): Promise<Array<{ team: DirectoryTeam; role: TeamRole }>> {
    const found: Array<{ team: DirectoryTeam; role: TeamRole }> = [];
    for (const team of this.#teams.values()) {
      const role = this.#roles.get(`${team.id}:${userId}`);
      if (role) found.push({ team, role });
    }
    return found.sort((a, b) => a.team.id - b.team.id);
  }

  upsertUser(user: DirectoryUser): this {
    this.#users.set(user.id, { ...user });
    return this;
  }

  setDisabled(userId: number, disabled: boolean): this {
    const user = this.#users.get(userId);
    if (!user) throw new Error(`MemoryDirectory: no user ${userId}`);
    this.#users.set(userId, { ...user, disabled });
    return this;
  }

  upsertTeam(team: DirectoryTeam): this {
    this.#teams.set(team.id, { ...team });
    return this;
  }

  setRole(teamId: number, userId: number, role: TeamRole | null): this {
    if (role === null) this.#roles.delete(`${teamId}:${userId}`);
    else this.#roles.set(`${teamId}:${userId}`, role);
    return this;
  }
}
