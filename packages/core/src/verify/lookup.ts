/**
 * The uncached lookup behind every cache miss: from a digest to the `ResolvedCredential` the
 * verifier judges. Two ways to read it, one way to decide it: a store that can join the directory's
 * tables (`TokenStore.credentialReader`) reads every row in one round trip; any other pair is read
 * row by row. Both hand their rows to `credentialFromRows`, so which user a token acts as, which
 * role counts and who the team's owner is are decided here alone.
 */
import type {
  CredentialLookup,
  CredentialReader,
  CredentialRows,
  Directory,
  DirectoryTeam,
  ResolvedCredential,
  TokenRecord,
  TokenStore,
} from "../ports/types";

/**
 * Whether a team token acts as its team's owner: a legacy token with no creator does, and so does
 * one the owner created. Otherwise it acts as its creator.
 */
function actsAsOwner(token: TokenRecord, team: DirectoryTeam): boolean {
  return token.userId === null || token.userId === team.ownerUserId;
}

/**
 * The credential a digest's rows make: the user the token acts as, its role in the team, and the
 * team's owner (the acting user when the owner is that user, or when the owner's row is gone). A
 * team token whose team is gone keeps no user at all, so the verifier refuses it.
 */
export function credentialFromRows(rows: CredentialRows): ResolvedCredential {
  const { token, team } = rows;
  if (token.teamId === null) {
    const actingUser = token.userId === null ? null : rows.creator;
    return { token, actingUser, team: null, teamOwner: null, role: null };
  }
  if (!team) return { token, actingUser: null, team: null, teamOwner: null, role: null };
  if (actsAsOwner(token, team)) {
    return { token, actingUser: rows.owner, team, teamOwner: rows.owner, role: rows.ownerRole };
  }
  const actingUser = rows.creator;
  return { token, actingUser, team, teamOwner: rows.owner ?? actingUser, role: rows.creatorRole };
}

/**
 * The rows one at a time, through the `Directory` interface: the token, then its team, then (in
 * parallel) only the users and the role `credentialFromRows` will read. A personal token costs one
 * store read and one directory read.
 */
async function readRowByRow(
  store: TokenStore,
  directory: Directory,
  digest: string,
): Promise<CredentialRows | null> {
  const token = await store.findByDigest(digest);
  if (!token) return null;
  const none = { creator: null, team: null, owner: null, creatorRole: null, ownerRole: null };
  if (token.teamId === null) {
    const creator = token.userId === null ? null : await directory.findUser(token.userId);
    return { ...none, token, creator };
  }
  const team = await directory.findTeam(token.teamId);
  if (!team) return { ...none, token };
  if (actsAsOwner(token, team)) {
    const [owner, ownerRole] = await Promise.all([
      directory.findUser(team.ownerUserId),
      directory.findRole(team.id, team.ownerUserId),
    ]);
    return { ...none, token, team, owner, ownerRole };
  }
  const creatorId = token.userId!;
  const [creator, owner, creatorRole] = await Promise.all([
    directory.findUser(creatorId),
    directory.findUser(team.ownerUserId),
    directory.findRole(team.id, creatorId),
  ]);
  return { ...none, token, creator, team, owner, creatorRole };
}

/**
 * The uncached lookup over a store and a directory. When the store offers a `credentialReader` for
 * this directory (the SQLite, PostgreSQL, Documenso and memory pairs), a lookup is one round trip;
 * otherwise the token, the team and the users are read in turn.
 */
export function storeLookup(store: TokenStore, directory: Directory): CredentialLookup {
  const read: CredentialReader =
    store.credentialReader?.(directory) ?? ((digest) => readRowByRow(store, directory, digest));
  return {
    async lookup(digest: string): Promise<ResolvedCredential | null> {
      const rows = await read(digest);
      return rows && credentialFromRows(rows);
    },
  };
}
