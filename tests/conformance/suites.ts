/**
 * The shared conformance suites: every `TokenStore` and every `Directory` (memory, SQLite,
 * PostgreSQL, the Documenso layout) must behave the same way for the operations it supports, so
 * the core can be written once against the interface.
 *
 * The suites use a fixed cast of ids (users 1-3, teams 10 and 11) so that stores whose tables carry
 * foreign keys (the Documenso layout) can seed those rows before the suite runs.
 */
import { createHash, randomUUID } from "node:crypto";
import type {
  Directory,
  DirectoryTeam,
  DirectoryUser,
  NewTokenRecord,
  TeamRole,
  TokenStore,
} from "@tokengate/core";

/** Users and teams the store suite's tokens refer to; seed them where foreign keys demand it. */
export const CONFORMANCE_USERS = [1, 2, 3] as const;
export const CONFORMANCE_TEAMS = [10, 11] as const;

export interface Subject<T> {
  readonly subject: T;
  /** Called after each test: close handles, drop schemas. */
  dispose?(): Promise<void> | void;
}

/** What a store can hold: Documenso's table has no scopes, last-used time or successor column. */
export interface StoreCapabilities {
  readonly scopes?: boolean;
  readonly lastUsed?: boolean;
  readonly replacedById?: boolean;
  /**
   * Where a layout keeps personal tokens in a team (Documenso's organisation era: the team of the
   * user's personal organisation), the id of user N's personal team: a token inserted with
   * `teamId: null` comes back with it. Without it, personal tokens have no team.
   */
  readonly personalTeamOf?: (userId: number) => number;
}

/** `it`, or `it` for suites that need a running database. */
export type TestFn = (name: string, fn: () => Promise<void>) => void;

/** A fresh digest in the SHA-512 hex shape every store accepts (Documenso's enum knows no other). */
export function freshDigest(): string {
  return createHash("sha512").update(randomUUID()).digest("hex");
}

const at = (iso: string) => new Date(iso);

function newToken(overrides: Partial<NewTokenRecord> = {}): NewTokenRecord {
  return {
    name: "deploy bot",
    digest: freshDigest(),
    algorithm: "SHA512",
    userId: 1,
    teamId: null,
    createdAt: at("2025-03-01T10:00:00.123Z"),
    expiresAt: null,
    scopes: [],
    ...overrides,
  };
}

async function using<T>(make: () => Promise<Subject<T>> | Subject<T>, body: (subject: T) => Promise<void>) {
  const made = await make();
  try {
    await body(made.subject);
  } finally {
    await made.dispose?.();
  }
}

/**
 * Runs the `TokenStore` contract against the stores `make` returns (one fresh, empty store per
 * test). Capabilities a store lacks are checked for their documented fallback instead.
 */
export function tokenStoreConformance(
  name: string,
  make: () => Promise<Subject<TokenStore>> | Subject<TokenStore>,
  options: StoreCapabilities & { readonly test?: TestFn } = {},
): void {
  const test: TestFn = options.test ?? ((title, fn) => it(title, fn));
  const scopes = options.scopes ?? true;
  const lastUsed = options.lastUsed ?? true;
  const replacedById = options.replacedById ?? true;
  const withStore = (body: (store: TokenStore) => Promise<void>) => () => using(make, body);

  describe(`TokenStore conformance: ${name}`, () => {
    test(
      "insert returns the stored record, and both lookups return it with Dates and scopes intact",
      withStore(async (store) => {
        const input = newToken({
          name: "ci pipeline",
          expiresAt: at("2026-03-01T10:00:00.456Z"),
          scopes: scopes ? ["documents:read", "documents:write"] : [],
        });
        const inserted = await store.insert(input);
        expect(inserted).toEqual({
          ...input,
          teamId: options.personalTeamOf?.(input.userId!) ?? null,
          id: expect.any(Number),
          lastUsedAt: null,
          replacedById: null,
        });
        expect(inserted.createdAt).toBeInstanceOf(Date);
        expect(inserted.createdAt.getTime()).toBe(input.createdAt.getTime());
        expect(inserted.expiresAt?.getTime()).toBe(input.expiresAt?.getTime());
        expect(await store.findByDigest(input.digest)).toEqual(inserted);
        expect(await store.findById(inserted.id)).toEqual(inserted);
      }),
    );

    test(
      "a team token without a creator and without an expiry round-trips its nulls",
      withStore(async (store) => {
        const inserted = await store.insert(newToken({ userId: null, teamId: 10, expiresAt: null }));
        const found = await store.findByDigest(inserted.digest);
        expect(found).toMatchObject({ userId: null, teamId: 10, expiresAt: null, lastUsedAt: null });
      }),
    );

    test(
      "unknown digests and ids find nothing",
      withStore(async (store) => {
        await store.insert(newToken());
        expect(await store.findByDigest(freshDigest())).toBeNull();
        expect(await store.findById(987_654)).toBeNull();
      }),
    );

    test(
      "a second token with the same digest is refused, without naming the digest, and the first is untouched",
      withStore(async (store) => {
        const first = await store.insert(newToken({ name: "first" }));
        const error = await store.insert(newToken({ name: "second", digest: first.digest })).then(
          () => null,
          (e: unknown) => e,
        );
        // By name: a driver's error class may come from another realm than the test's Error.
        expect((error as Error).name).toBe("DuplicateDigestError");
        expect(String((error as Error).message)).not.toContain(first.digest);
        expect(JSON.stringify(error)).not.toContain(first.digest);
        expect(await store.findByDigest(first.digest)).toEqual(first);
      }),
    );

    test(
      "ids are distinct",
      withStore(async (store) => {
        const a = await store.insert(newToken());
        const b = await store.insert(newToken());
        expect(a.id).not.toBe(b.id);
      }),
    );

    test(
      "listByUser returns only the user's personal tokens, newest first",
      withStore(async (store) => {
        const older = await store.insert(newToken({ name: "older", createdAt: at("2025-01-01T00:00:00Z") }));
        // Inserted after `older` but created before it: order is by creation time, not insertion.
        const oldest = await store.insert(
          newToken({ name: "oldest", createdAt: at("2024-06-01T00:00:00Z") }),
        );
        const newest = await store.insert(
          newToken({ name: "newest", createdAt: at("2025-02-01T00:00:00Z") }),
        );
        await store.insert(newToken({ name: "team token by user 1", teamId: 10 }));
        await store.insert(newToken({ name: "someone else's", userId: 2 }));
        const listed = await store.listByUser(1);
        expect(listed.map((t) => t.name)).toEqual(["newest", "older", "oldest"]);
        expect(listed.map((t) => t.id)).toEqual([newest.id, older.id, oldest.id]);
        expect(await store.listByUser(3)).toEqual([]);
      }),
    );

    test(
      "listByTeam returns the team's tokens, creatorless ones too, newest first",
      withStore(async (store) => {
        await store.insert(newToken({ name: "a", teamId: 10, createdAt: at("2025-01-01T00:00:00Z") }));
        await store.insert(
          newToken({ name: "c", teamId: 10, userId: null, createdAt: at("2025-03-01T00:00:00Z") }),
        );
        await store.insert(
          newToken({ name: "b", teamId: 10, userId: 2, createdAt: at("2025-02-01T00:00:00Z") }),
        );
        await store.insert(newToken({ name: "other team", teamId: 11 }));
        await store.insert(newToken({ name: "personal" }));
        expect((await store.listByTeam(10)).map((t) => t.name)).toEqual(["c", "b", "a"]);
        expect((await store.listByTeam(11)).map((t) => t.name)).toEqual(["other team"]);
      }),
    );

    test(
      "delete removes the token from every read and reports whether there was one",
      withStore(async (store) => {
        const token = await store.insert(newToken());
        const kept = await store.insert(newToken({ name: "kept" }));
        expect(await store.delete(token.id)).toBe(true);
        expect(await store.findByDigest(token.digest)).toBeNull();
        expect(await store.findById(token.id)).toBeNull();
        expect((await store.listByUser(1)).map((t) => t.id)).toEqual([kept.id]);
        expect(await store.delete(token.id)).toBe(false);
        expect(await store.delete(987_654)).toBe(false);
      }),
    );

    test(
      "markReplaced ends the old token at the given time and leaves the rest of it alone",
      withStore(async (store) => {
        const old = await store.insert(newToken({ expiresAt: at("2026-01-01T00:00:00Z") }));
        const successor = await store.insert(newToken({ name: "successor" }));
        const graceEnds = at("2025-03-02T10:00:00.789Z");
        await store.markReplaced(old.id, successor.id, graceEnds);
        expect(await store.findByDigest(old.digest)).toEqual({
          ...old,
          expiresAt: graceEnds,
          replacedById: replacedById ? successor.id : null,
        });
        expect(await store.findById(successor.id)).toEqual(successor);
        await store.markReplaced(old.id, successor.id, null);
        expect((await store.findById(old.id))?.expiresAt).toBeNull();
      }),
    );

    if (lastUsed) {
      test(
        "touchLastUsed writes a batch, ignores deleted tokens and never moves backwards",
        withStore(async (store) => {
          const a = await store.insert(newToken({ name: "a" }));
          const b = await store.insert(newToken({ name: "b" }));
          const gone = await store.insert(newToken({ name: "gone" }));
          await store.delete(gone.id);
          await store.touchLastUsed([]);
          await store.touchLastUsed([
            { id: a.id, at: at("2025-04-01T12:00:00.001Z") },
            { id: b.id, at: at("2025-04-01T12:00:00.002Z") },
            { id: gone.id, at: at("2025-04-01T12:00:00.003Z") },
          ]);
          expect((await store.findById(a.id))?.lastUsedAt).toEqual(at("2025-04-01T12:00:00.001Z"));
          expect((await store.findByDigest(b.digest))?.lastUsedAt).toEqual(at("2025-04-01T12:00:00.002Z"));
          expect(await store.findById(gone.id)).toBeNull();
          // A late batch from another instance carries an older time: it must not win.
          await store.touchLastUsed([
            { id: a.id, at: at("2025-03-31T00:00:00Z") },
            { id: b.id, at: at("2025-04-02T00:00:00Z") },
          ]);
          expect((await store.findById(a.id))?.lastUsedAt).toEqual(at("2025-04-01T12:00:00.001Z"));
          expect((await store.findById(b.id))?.lastUsedAt).toEqual(at("2025-04-02T00:00:00Z"));
          // The same token twice in one batch: the later time wins whatever the order.
          await store.touchLastUsed([
            { id: a.id, at: at("2025-05-02T00:00:00Z") },
            { id: a.id, at: at("2025-05-01T00:00:00Z") },
          ]);
          expect((await store.findById(a.id))?.lastUsedAt).toEqual(at("2025-05-02T00:00:00Z"));
          expect((await store.listByUser(1)).find((t) => t.id === a.id)?.lastUsedAt).toEqual(
            at("2025-05-02T00:00:00Z"),
          );
        }),
      );
    } else {
      test(
        "touchLastUsed is accepted and changes nothing (the layout has no last-used column)",
        withStore(async (store) => {
          const a = await store.insert(newToken());
          await store.touchLastUsed([{ id: a.id, at: at("2025-04-01T12:00:00Z") }]);
          expect(await store.findById(a.id)).toEqual(a);
        }),
      );
    }
  });
}

/** The writes a directory suite needs: the directory's own, or a seeder for read-only layouts. */
export interface DirectoryWrites {
  upsertUser(user: DirectoryUser): unknown;
  setDisabled(userId: number, disabled: boolean): unknown;
  upsertTeam(team: DirectoryTeam): unknown;
  setRole(teamId: number, userId: number, role: TeamRole | null): unknown;
}

export interface DirectoryHarness {
  readonly directory: Directory;
  readonly writes: DirectoryWrites;
}

/** Runs the `Directory` contract (reads, and the demo's writes) against fresh directories. */
export function directoryConformance(
  name: string,
  make: () => Promise<Subject<DirectoryHarness>> | Subject<DirectoryHarness>,
  options: { readonly test?: TestFn } = {},
): void {
  const test: TestFn = options.test ?? ((title, fn) => it(title, fn));
  const withDirectory = (body: (h: DirectoryHarness) => Promise<void>) => () => using(make, body);
  const ada: DirectoryUser = { id: 1, name: "Ada", email: "ada@example.com", disabled: false };
  const bob: DirectoryUser = { id: 2, name: "Bob", email: "bob@example.com", disabled: false };

  describe(`Directory conformance: ${name}`, () => {
    test(
      "users are found by id after an upsert, and a second upsert replaces their fields",
      withDirectory(async ({ directory, writes }) => {
        expect(await directory.findUser(1)).toBeNull();
        await writes.upsertUser(ada);
        await writes.upsertUser(bob);
        expect(await directory.findUser(1)).toEqual(ada);
        await writes.upsertUser({ ...ada, name: "Ada L.", email: "ada@lovelace.example" });
        expect(await directory.findUser(1)).toEqual({
          ...ada,
          name: "Ada L.",
          email: "ada@lovelace.example",
        });
        expect(await directory.findUser(2)).toEqual(bob);
      }),
    );

    test(
      "setDisabled disables and re-enables a user, and refuses an unknown one",
      withDirectory(async ({ directory, writes }) => {
        await writes.upsertUser(ada);
        await writes.setDisabled(1, true);
        expect((await directory.findUser(1))?.disabled).toBe(true);
        await writes.setDisabled(1, false);
        expect((await directory.findUser(1))?.disabled).toBe(false);
        await expect(Promise.resolve().then(() => writes.setDisabled(999, true))).rejects.toThrow();
      }),
    );

    test(
      "teams carry their owner, and an upsert can hand the team to a new owner",
      withDirectory(async ({ directory, writes }) => {
        await writes.upsertUser(ada);
        await writes.upsertUser(bob);
        expect(await directory.findTeam(10)).toBeNull();
        await writes.upsertTeam({ id: 10, name: "Platform", ownerUserId: 1 });
        expect(await directory.findTeam(10)).toEqual({ id: 10, name: "Platform", ownerUserId: 1 });
        await writes.upsertTeam({ id: 10, name: "Platform", ownerUserId: 2 });
        expect((await directory.findTeam(10))?.ownerUserId).toBe(2);
      }),
    );

    test(
      "roles are per team, can change, and null removes the membership",
      withDirectory(async ({ directory, writes }) => {
        await writes.upsertUser(ada);
        await writes.upsertUser(bob);
        await writes.upsertTeam({ id: 10, name: "Platform", ownerUserId: 1 });
        await writes.upsertTeam({ id: 11, name: "Sales", ownerUserId: 1 });
        expect(await directory.findRole(10, 2)).toBeNull();
        await writes.setRole(10, 2, "MANAGER");
        expect(await directory.findRole(10, 2)).toBe("MANAGER");
        expect(await directory.findRole(11, 2)).toBeNull();
        await writes.setRole(10, 2, "ADMIN");
        expect(await directory.findRole(10, 2)).toBe("ADMIN");
        await writes.setRole(10, 2, null);
        expect(await directory.findRole(10, 2)).toBeNull();
        await writes.setRole(11, 2, "MEMBER");
        expect(await directory.findRole(11, 2)).toBe("MEMBER");
      }),
    );

    test(
      "listTeamsOf lists the user's teams and roles by team id (a personal team is not one of them)",
      withDirectory(async ({ directory, writes }) => {
        // Optional in the interface (the page then asks for a team id); every directory here has it.
        expect(typeof directory.listTeamsOf).toBe("function");
        if (!directory.listTeamsOf) return;
        await writes.upsertUser(ada);
        await writes.upsertUser(bob);
        await writes.upsertTeam({ id: 11, name: "Sales", ownerUserId: 1 });
        await writes.upsertTeam({ id: 10, name: "Platform", ownerUserId: 1 });
        await writes.setRole(11, 2, "MEMBER");
        await writes.setRole(10, 2, "ADMIN");
        await writes.setRole(10, 1, "ADMIN");
        expect(await directory.listTeamsOf(2)).toEqual([
          { team: { id: 10, name: "Platform", ownerUserId: 1 }, role: "ADMIN" },
          { team: { id: 11, name: "Sales", ownerUserId: 1 }, role: "MEMBER" },
        ]);
        await writes.setRole(10, 2, null);
        expect((await directory.listTeamsOf(2)).map((t) => t.team.id)).toEqual([11]);
        expect(await directory.listTeamsOf(99)).toEqual([]);
      }),
    );
  });
}
