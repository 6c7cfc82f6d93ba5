/**
 * The lookup conformance suite: for every store and directory pair (memory, SQLite, PostgreSQL and
 * both of Documenso's layouts), each lifecycle case is resolved twice, through the store's
 * one-round-trip `credentialReader` and through the row-by-row path `storeLookup` takes for custom
 * stores (the same store with the reader hidden), and both must give the same credential, the one
 * the case expects. The verifier judges only what the lookup returns, so equal credentials mean
 * equal answers: the same identity, or the same refusal.
 */
import {
  type CredentialLookup,
  type Directory,
  MemoryDirectory,
  type NewTokenRecord,
  type ResolvedCredential,
  storeLookup,
  type TokenRecord,
  type TokenStore,
} from "@tokengate/core";
import { type DirectoryWrites, freshDigest, type Subject, type TestFn } from "./suites";

export interface LookupHarness {
  readonly store: TokenStore;
  readonly directory: Directory;
  /** Writes over the directory's tables: the directory itself, or a seeder for Documenso's. */
  readonly writes: DirectoryWrites;
  /** Directories of the same class over other tables: the store must offer them no reader. */
  readonly otherDirectories?: readonly Directory[];
}

export interface LookupCapabilities {
  /** The table can hold scopes (Documenso's cannot). */
  readonly scopes?: boolean;
  /**
   * Tokens may name users and teams that do not exist, and a team an owner that does not: true
   * where tokens and the directory share no foreign keys (tokengate's own tables, memory).
   */
  readonly dangling?: boolean;
  /** Where personal tokens live in a team (Documenso's organisations): user N's personal team. */
  readonly personalTeamOf?: (userId: number) => number;
  readonly test?: TestFn;
}

/** The same store with its reader hidden: what `storeLookup` sees of a custom store. */
export function withoutCredentialReader(store: TokenStore): TokenStore {
  return {
    name: `${store.name} (row by row)`,
    findByDigest: (digest) => store.findByDigest(digest),
    findById: (id) => store.findById(id),
    insert: (token) => store.insert(token),
    listByUser: (userId) => store.listByUser(userId),
    listByTeam: (teamId) => store.listByTeam(teamId),
    delete: (id) => store.delete(id),
    markReplaced: (id, replacedById, expiresAt) => store.markReplaced(id, replacedById, expiresAt),
    touchLastUsed: (entries) => store.touchLastUsed(entries),
  };
}

/** What a case asserts of a credential, beyond both paths agreeing on all of it. */
interface Expected {
  readonly actingUserId: number | null;
  readonly actingDisabled?: boolean;
  readonly teamId?: number | null;
  readonly teamOwnerId?: number | null;
  readonly teamOwnerDisabled?: boolean;
  readonly role?: string | null;
}

function summary(credential: ResolvedCredential, expected: Expected) {
  return {
    actingUserId: credential.actingUser?.id ?? null,
    ...("actingDisabled" in expected ? { actingDisabled: credential.actingUser?.disabled } : {}),
    ...("teamId" in expected ? { teamId: credential.team?.id ?? null } : {}),
    ...("teamOwnerId" in expected ? { teamOwnerId: credential.teamOwner?.id ?? null } : {}),
    ...("teamOwnerDisabled" in expected ? { teamOwnerDisabled: credential.teamOwner?.disabled } : {}),
    ...("role" in expected ? { role: credential.role } : {}),
  };
}

const TEAM = 10;
const OTHER_TEAM = 11;

/**
 * Users 1 (Ada), 2 (Bob) and 3 (Cy); team 10 owned by Ada, where Ada is ADMIN and Bob a MEMBER;
 * team 11 owned by Cy, where Cy is ADMIN and Bob a MANAGER.
 */
async function seed(writes: DirectoryWrites): Promise<void> {
  await writes.upsertUser({ id: 1, name: "Ada", email: "ada@example.com", disabled: false });
  await writes.upsertUser({ id: 2, name: "Bob", email: "bob@example.com", disabled: false });
  await writes.upsertUser({ id: 3, name: "Cy", email: "cy@example.com", disabled: false });
  await writes.upsertTeam({ id: TEAM, name: "Platform", ownerUserId: 1 });
  await writes.upsertTeam({ id: OTHER_TEAM, name: "Sales", ownerUserId: 3 });
  await writes.setRole(TEAM, 1, "ADMIN");
  await writes.setRole(TEAM, 2, "MEMBER");
  await writes.setRole(OTHER_TEAM, 3, "ADMIN");
  await writes.setRole(OTHER_TEAM, 2, "MANAGER");
}

/**
 * Runs every lifecycle case against the pairs `make` returns (one fresh, seeded pair per test),
 * through both paths.
 */
export function credentialLookupConformance(
  name: string,
  make: () => Promise<Subject<LookupHarness>> | Subject<LookupHarness>,
  options: LookupCapabilities = {},
): void {
  const test: TestFn = options.test ?? ((title, fn) => it(title, fn));
  const dangling = options.dangling ?? false;
  const personalTeam = (userId: number) => options.personalTeamOf?.(userId) ?? null;

  interface World extends LookupHarness {
    insert(overrides: Partial<NewTokenRecord>): Promise<TokenRecord>;
    /** Looks the digest up both ways, asserts they agree, and returns the answer. */
    resolve(digest: string): Promise<ResolvedCredential | null>;
    /** Resolves and checks the answer against the case's expectation. */
    expectResolved(digest: string, expected: Expected): Promise<ResolvedCredential>;
  }

  const withWorld = (body: (world: World) => Promise<void>) => async () => {
    const made = await make();
    try {
      const { store, directory, writes } = made.subject;
      await seed(writes);
      const joined: CredentialLookup = storeLookup(store, directory);
      const rowByRow: CredentialLookup = storeLookup(withoutCredentialReader(store), directory);
      const world: World = {
        ...made.subject,
        insert: (overrides) =>
          store.insert({
            name: "deploy bot",
            digest: freshDigest(),
            algorithm: "SHA512",
            userId: 1,
            teamId: null,
            createdAt: new Date("2025-03-01T10:00:00.123Z"),
            expiresAt: null,
            scopes: [],
            ...overrides,
          }),
        async resolve(digest) {
          const [one, other] = await Promise.all([joined.lookup(digest), rowByRow.lookup(digest)]);
          expect(one).toStrictEqual(other);
          return one;
        },
        async expectResolved(digest, expected) {
          const credential = await world.resolve(digest);
          expect(credential).not.toBeNull();
          expect(summary(credential!, expected)).toEqual(expected);
          return credential!;
        },
      };
      await body(world);
    } finally {
      await made.dispose?.();
    }
  };

  describe(`credential lookup conformance: ${name}`, () => {
    test(
      "the store offers its one-round-trip reader for its own directory, and none for another",
      withWorld(async ({ store, directory, otherDirectories = [] }) => {
        expect(typeof store.credentialReader?.(directory)).toBe("function");
        // An application's own directory, even one that reads these very tables through the
        // directory's methods: the store cannot know which tables it reads.
        const custom: Directory = {
          name: "custom",
          findUser: (id) => directory.findUser(id),
          findTeam: (id) => directory.findTeam(id),
          findRole: (teamId, userId) => directory.findRole(teamId, userId),
        };
        class Subclassed extends MemoryDirectory {}
        for (const other of [custom, new Subclassed(), ...otherDirectories]) {
          expect(store.credentialReader?.(other) ?? null).toBeNull();
        }
      }),
    );

    test(
      "a personal token acts as its creator",
      withWorld(async (world) => {
        const token = await world.insert({ userId: 2 });
        const credential = await world.expectResolved(token.digest, {
          actingUserId: 2,
          actingDisabled: false,
          teamId: personalTeam(2),
        });
        expect(credential.token).toEqual(token);
        expect(credential.actingUser).toEqual({
          id: 2,
          name: "Bob",
          email: "bob@example.com",
          disabled: false,
        });
      }),
    );

    test(
      "an unknown digest and a deleted token find nothing",
      withWorld(async (world) => {
        expect(await world.resolve(freshDigest())).toBeNull();
        const token = await world.insert({ teamId: TEAM });
        await world.store.delete(token.id);
        expect(await world.resolve(token.digest)).toBeNull();
      }),
    );

    test(
      "an expired token is still found, with its expiry, for the verifier to refuse",
      withWorld(async (world) => {
        const expiresAt = new Date("2025-03-02T00:00:00.000Z");
        const token = await world.insert({ expiresAt });
        const credential = await world.expectResolved(token.digest, { actingUserId: 1 });
        expect(credential.token.expiresAt).toEqual(expiresAt);
      }),
    );

    test(
      "a rotated token in its grace period carries the end of its grace",
      withWorld(async (world) => {
        const old = await world.insert({ teamId: TEAM, userId: 2 });
        const successor = await world.insert({ teamId: TEAM, userId: 2, name: "successor" });
        const graceEnds = new Date("2025-03-01T10:05:00.000Z");
        await world.store.markReplaced(old.id, successor.id, graceEnds);
        const credential = await world.expectResolved(old.digest, { actingUserId: 2, role: "MEMBER" });
        expect(credential.token.expiresAt).toEqual(graceEnds);
        await world.expectResolved(successor.digest, { actingUserId: 2, role: "MEMBER" });
      }),
    );

    test(
      "a team token acts as its creator, with the creator's role and the team's owner",
      withWorld(async (world) => {
        const token = await world.insert({ teamId: TEAM, userId: 2 });
        const credential = await world.expectResolved(token.digest, {
          actingUserId: 2,
          teamId: TEAM,
          teamOwnerId: 1,
          role: "MEMBER",
        });
        expect(credential.team).toEqual({ id: TEAM, name: "Platform", ownerUserId: 1 });
        expect(credential.teamOwner).toEqual({
          id: 1,
          name: "Ada",
          email: "ada@example.com",
          disabled: false,
        });
      }),
    );

    test(
      "roles are per team: the same creator in another team has that team's role and owner",
      withWorld(async (world) => {
        const token = await world.insert({ teamId: OTHER_TEAM, userId: 2 });
        await world.expectResolved(token.digest, {
          actingUserId: 2,
          teamId: OTHER_TEAM,
          teamOwnerId: 3,
          role: "MANAGER",
        });
      }),
    );

    test(
      "a team token the owner made acts as the owner, who is also the team owner",
      withWorld(async (world) => {
        const token = await world.insert({ teamId: TEAM, userId: 1 });
        const credential = await world.expectResolved(token.digest, {
          actingUserId: 1,
          teamId: TEAM,
          teamOwnerId: 1,
          role: "ADMIN",
        });
        expect(credential.teamOwner).toEqual(credential.actingUser);
      }),
    );

    test(
      "a legacy team token with no creator acts as the team's owner",
      withWorld(async (world) => {
        const token = await world.insert({ teamId: TEAM, userId: null });
        await world.expectResolved(token.digest, { actingUserId: 1, teamOwnerId: 1, role: "ADMIN" });
      }),
    );

    test(
      "a role change and leaving the team show on the next lookup (formerMemberTokens decides)",
      withWorld(async (world) => {
        const token = await world.insert({ teamId: TEAM, userId: 2 });
        await world.writes.setRole(TEAM, 2, "MANAGER");
        await world.expectResolved(token.digest, { actingUserId: 2, role: "MANAGER" });
        await world.writes.setRole(TEAM, 2, null);
        await world.expectResolved(token.digest, { actingUserId: 2, teamOwnerId: 1, role: null });
      }),
    );

    test(
      "a disabled creator, and a disabled team owner, are found disabled",
      withWorld(async (world) => {
        const personal = await world.insert({ userId: 2 });
        const team = await world.insert({ teamId: TEAM, userId: 2 });
        await world.writes.setDisabled(2, true);
        await world.expectResolved(personal.digest, { actingUserId: 2, actingDisabled: true });
        await world.expectResolved(team.digest, {
          actingUserId: 2,
          actingDisabled: true,
          teamOwnerDisabled: false,
        });
        await world.writes.setDisabled(2, false);
        await world.writes.setDisabled(1, true);
        await world.expectResolved(team.digest, {
          actingUserId: 2,
          actingDisabled: false,
          teamOwnerId: 1,
          teamOwnerDisabled: true,
        });
      }),
    );

    test(
      "a team handed to a new owner: the old owner's token acts as its creator, a legacy one as the new owner",
      withWorld(async (world) => {
        const byAda = await world.insert({ teamId: TEAM, userId: 1 });
        const legacy = await world.insert({ teamId: TEAM, userId: null });
        await world.writes.upsertTeam({ id: TEAM, name: "Platform", ownerUserId: 2 });
        await world.expectResolved(byAda.digest, { actingUserId: 1, teamOwnerId: 2, role: "ADMIN" });
        await world.expectResolved(legacy.digest, { actingUserId: 2, teamOwnerId: 2 });
      }),
    );

    if (options.scopes ?? true) {
      test(
        "scopes come back as stored",
        withWorld(async (world) => {
          const token = await world.insert({ teamId: TEAM, userId: 2, scopes: ["documents:read", "me"] });
          const credential = await world.expectResolved(token.digest, { actingUserId: 2 });
          expect(credential.token.scopes).toEqual(["documents:read", "me"]);
        }),
      );
    }

    if (dangling) {
      test(
        "a token whose user or team is gone resolves to no acting user",
        withWorld(async (world) => {
          const noUser = await world.insert({ userId: 99 });
          const noTeam = await world.insert({ teamId: 99, userId: 2 });
          const noCreator = await world.insert({ teamId: TEAM, userId: 98 });
          const nobody = await world.insert({ userId: null });
          await world.expectResolved(noUser.digest, { actingUserId: null, teamId: null, role: null });
          await world.expectResolved(noTeam.digest, { actingUserId: null, teamId: null, teamOwnerId: null });
          await world.expectResolved(noCreator.digest, { actingUserId: null, teamId: TEAM, role: null });
          await world.expectResolved(nobody.digest, { actingUserId: null });
        }),
      );

      test(
        "a team whose owner's row is gone: the acting user stands as the team owner",
        withWorld(async (world) => {
          await world.writes.upsertTeam({ id: 12, name: "Orphans", ownerUserId: 97 });
          await world.writes.setRole(12, 2, "MEMBER");
          const byBob = await world.insert({ teamId: 12, userId: 2 });
          const legacy = await world.insert({ teamId: 12, userId: null });
          await world.expectResolved(byBob.digest, { actingUserId: 2, teamOwnerId: 2, role: "MEMBER" });
          await world.expectResolved(legacy.digest, { actingUserId: null, teamOwnerId: null, role: null });
        }),
      );
    }
  });
}
