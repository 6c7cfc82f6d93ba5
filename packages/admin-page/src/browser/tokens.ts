/**
 * The list of tokens: personal ones and those of every team the user manages, newest first, with
 * their owner, dates, status and the actions each allows.
 */
import { api, explain } from "./api";
import { timeElement } from "./dates";
import { openDelete, openRotate } from "./dialogs";
import { $, badge, cell, note, showAlert } from "./dom";
import { openHistory } from "./history";
import { signedOut } from "./session";
import { manageableTeams, state } from "./state";
import type { ApiTokenSummary, ListApiTokensResponse } from "./wire";

export function setLoading(loading: boolean): void {
  $("list").setAttribute("aria-busy", loading ? "true" : "false");
  $("list-loading").hidden = !loading;
  if (loading) {
    $("tokens").hidden = true;
    $("list-empty").hidden = true;
  }
}

export async function loadTokens(): Promise<void> {
  setLoading(true);
  const teamIds = manageableTeams()
    .map((team) => team.id)
    .concat(state.extraTeams);
  // The mount path itself, no trailing slash: some routers (Hono) match "/api-tokens" but not "/api-tokens/".
  const calls = [api<ListApiTokensResponse>("GET", "")].concat(
    teamIds.map((id) => api<ListApiTokensResponse>("GET", "?teamId=" + id)),
  );
  const results = await Promise.all(calls);
  setLoading(false);
  let tokens: ApiTokenSummary[] = [];
  let failure = null;
  for (const result of results) {
    if (result.ok && result.data && Array.isArray(result.data.tokens))
      tokens = tokens.concat(result.data.tokens);
    else if (!failure) failure = result;
  }
  if (failure && failure.status === 401) return signedOut(failure);
  if (failure) showAlert("Some tokens could not be listed. " + explain(failure));
  tokens.sort((a, b) => b.createdAt.localeCompare(a.createdAt) || b.id - a.id);
  state.tokens = tokens;
  renderTokens();
  // An empty list is only "no tokens" when every call answered.
  if (failure) $("list-empty").hidden = true;
}

function actionButton(label: string, accessibleName: string, onClick: (opener: HTMLButtonElement) => void) {
  const button = document.createElement("button");
  button.type = "button";
  button.textContent = label;
  button.setAttribute("aria-label", accessibleName);
  button.addEventListener("click", () => onClick(button));
  return button;
}

function tokenRow(token: ApiTokenSummary, me: number | null): HTMLTableRowElement {
  const row = document.createElement("tr");
  row.dataset["tokenId"] = String(token.id);
  const expired = token.status === "expired";
  const retiring = !expired && token.replacedById !== null;
  if (expired) row.className = "is-expired";

  const nameCell = cell(row, "");
  nameCell.className = "name-cell";
  const strong = document.createElement("strong");
  strong.textContent = token.name;
  nameCell.appendChild(strong);
  if (token.scopes.length) nameCell.appendChild(note("Scopes: " + token.scopes.join(" ")));

  if (token.teamId === null) {
    cell(row, badge("Personal", "personal"));
  } else {
    const ownerCell = cell(
      row,
      badge("Team: " + (state.teamNames[token.teamId] || "team #" + token.teamId), "team"),
    );
    ownerCell.appendChild(
      note(
        token.createdBy === me
          ? "created by you"
          : token.createdBy === null
            ? "acts as the team's owner"
            : "created by user #" + token.createdBy,
      ),
    );
  }

  cell(row, timeElement(token.createdAt, false));
  const expiresCell = cell(row, token.expiresAt ? "" : "Never");
  if (token.expiresAt) {
    if (expired) expiresCell.appendChild(document.createTextNode("Expired "));
    expiresCell.appendChild(timeElement(token.expiresAt, false));
  }

  const statusCell = cell(
    row,
    badge(
      expired ? "Expired" : retiring ? "Replaced" : "Active",
      expired ? "expired" : retiring ? "retiring" : "active",
    ),
  );
  if (retiring) statusCell.appendChild(note("rotated; works until the grace period ends"));

  cell(row, token.lastUsedAt ? timeElement(token.lastUsedAt, true) : "Never used");

  const actions = document.createElement("div");
  actions.className = "row-actions";
  actions.appendChild(
    actionButton("History", "History of " + token.name, (opener) => openHistory(token, opener)),
  );
  if (!retiring) {
    actions.appendChild(
      actionButton("Rotate", "Rotate " + token.name, (opener) => openRotate(token, opener)),
    );
  }
  actions.appendChild(actionButton("Delete", "Delete " + token.name, (opener) => openDelete(token, opener)));
  cell(row, actions);
  return row;
}

export function renderTokens(): void {
  const body = $("tokens-body");
  body.textContent = "";
  $("list-empty").hidden = state.tokens.length > 0;
  $("tokens").hidden = state.tokens.length === 0;
  const me = state.session ? state.session.user.id : null;
  for (const token of state.tokens) body.appendChild(tokenRow(token, me));
}
