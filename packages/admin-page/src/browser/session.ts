/**
 * Who is signed in (`GET <mount>/session`), what the page offers them, and how it says that they
 * are signed out or may not manage tokens here.
 */
import { type ApiResult, api, errorBody, explain } from "./api";
import { $, input, select, showAlert } from "./dom";
import { manageableTeams, state, teamLabel } from "./state";
import { loadTokens, setLoading } from "./tokens";
import type { AdminSession } from "./wire";

export function signedOut(result: ApiResult): void {
  state.session = null;
  $("create").hidden = true;
  $("list").hidden = true;
  $("reveal").hidden = true;
  $("history").hidden = true;
  $("who").textContent = "";
  showAlert("");
  const forbidden = result.status === 403;
  $("signed-out-heading").textContent = forbidden ? "You cannot manage tokens here" : "You are not signed in";
  $("signed-out-text").textContent = explain(result);
  $("signed-out").hidden = false;
  $("signed-out-heading").focus();
}

/** Handles a failure every call can meet; true when it did. */
export function handledGlobally(result: ApiResult): boolean {
  if (result.status === 401) {
    signedOut(result);
    return true;
  }
  if (
    result.status === 0 ||
    result.status >= 500 ||
    result.status === 429 ||
    errorBody(result).error === "csrf_rejected"
  ) {
    showAlert(explain(result));
    return true;
  }
  return false;
}

export async function start(): Promise<void> {
  $("signed-out").hidden = true;
  showAlert("");
  $("list").hidden = false;
  setLoading(true);
  const result = await api<AdminSession>("GET", "/session");
  if (!result.ok || result.data === null) {
    setLoading(false);
    if (result.status === 401 || result.status === 403) return signedOut(result);
    $("list").hidden = true;
    showAlert(explain(result));
    return;
  }
  state.session = result.data;
  state.extraTeams = rememberedTeams(result.data);
  renderSession(result.data);
  $("create").hidden = false;
  await loadTokens();
}

// Without a directory that lists teams, the team ids the user typed are remembered per user in
// this browser, so their team tokens stay listed after a reload.
const teamsKey = (session: AdminSession) => "tokengate.teams." + session.user.id;

function rememberedTeams(session: AdminSession): number[] {
  if (session.teams !== null) return [];
  try {
    const ids: unknown = JSON.parse(localStorage.getItem(teamsKey(session)) || "[]");
    return Array.isArray(ids) ? ids.filter((id): id is number => Number.isInteger(id) && id > 0) : [];
  } catch {
    return [];
  }
}

export function rememberTeam(id: number): void {
  if (state.extraTeams.includes(id) || !state.session) return;
  state.extraTeams.push(id);
  try {
    localStorage.setItem(teamsKey(state.session), JSON.stringify(state.extraTeams));
  } catch {
    // Private browsing: the ids last until the page is closed.
  }
}

function renderSession(session: AdminSession): void {
  const name = session.user.name || "user #" + session.user.id;
  let who = "Signed in as " + name;
  const admin = manageableTeams();
  if (admin.length) who += ", managing tokens of " + admin.map(teamLabel).join(", ");
  $("who").textContent = who + ".";
  state.teamNames = {};
  for (const team of session.teams ?? []) state.teamNames[team.id] = teamLabel(team);

  const teams = select("team-select");
  teams.textContent = "";
  for (const team of admin) {
    const option = document.createElement("option");
    option.value = String(team.id);
    option.textContent = teamLabel(team);
    teams.appendChild(option);
  }
  const listsTeams = session.teams !== null;
  $("owner-team-choice").hidden = listsTeams && admin.length === 0;
  $("owner-hint").textContent =
    listsTeams && admin.length === 0
      ? "Your tokens are personal: they act as you. Team tokens can be created by a team's admins."
      : "A personal token acts as you. A team token acts as you inside the team, and the team's admins can see and revoke it.";
  $("team-lookup").hidden = listsTeams;
  syncOwner();
}

export function syncOwner(): void {
  const team = input("owner-team").checked;
  const listsTeams = state.session !== null && state.session.teams !== null;
  $("team-select-row").hidden = !(team && listsTeams);
  $("team-id-row").hidden = !(team && !listsTeams);
}
