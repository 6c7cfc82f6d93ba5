/** What the page knows at a moment: who is signed in, their tokens, and whether a call is running. */
import type { AdminSession, ApiTokenSummary } from "./wire";

export interface PageState {
  session: AdminSession | null;
  tokens: ApiTokenSummary[];
  /** Team names by id, from the session, for the Owner column. */
  teamNames: Record<number, string>;
  /** Team ids the user typed, when the directory cannot list their teams. */
  extraTeams: number[];
  /** A create, rotate or delete is on its way: a second one waits. */
  busy: boolean;
}

export const state: PageState = { session: null, tokens: [], teamNames: {}, extraTeams: [], busy: false };

export const teamLabel = (team: { readonly id: number; readonly name: string | null }) =>
  team.name || "team #" + team.id;

/** The teams whose tokens the user may manage, as the session lists them. */
export function manageableTeams(): ReadonlyArray<NonNullable<AdminSession["teams"]>[number]> {
  const teams = state.session?.teams;
  return teams ? teams.filter((team) => team.canManage) : [];
}

/** True when the directory cannot list the user's teams, so the page asks for a team id. */
export const teamsUnlisted = () => state.session !== null && state.session.teams === null;
