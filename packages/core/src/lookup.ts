import type { CredentialLookup, Directory, ResolvedCredential, TokenStore } from "./types";

/**
 * The uncached lookup: the token by digest, then the user it acts as, the team and its owner.
 * Directory reads run in parallel; a personal token costs one store read and one directory read.
 */
export function storeLookup(store: TokenStore, directory: Directory): CredentialLookup {
  return {
    async lookup(digest: string): Promise<ResolvedCredential | null> {
      const token = await store.findByDigest(digest);
      if (!token) return null;
      if (token.teamId === null) {
        const actingUser = token.userId === null ? null : await directory.findUser(token.userId);
        return { token, actingUser, team: null, teamOwner: null, role: null };
      }
      const team = await directory.findTeam(token.teamId);
      if (!team) return { token, actingUser: null, team: null, teamOwner: null, role: null };
      const actingUserId = token.userId ?? team.ownerUserId;
      const [actingUser, teamOwner, role] = await Promise.all([
        directory.findUser(actingUserId),
        actingUserId === team.ownerUserId ? null : directory.findUser(team.ownerUserId),
        directory.findRole(team.id, actingUserId),
      ]);
      return { token, actingUser, team, teamOwner: teamOwner ?? actingUser, role };
    },
  };
}
