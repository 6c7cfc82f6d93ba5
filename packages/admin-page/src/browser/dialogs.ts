/**
 * The two dialogs that change a token: rotate (a successor, with a grace period for the old one)
 * and delete (confirmed by typing the token's name). Focus returns to the button that opened them.
 */
import { api, explain } from "./api";
import { $, announce, button, dialog, form, input, select, showAlert } from "./dom";
import { clearErrors, setFieldError, showIssues } from "./fields";
import { refreshHistory } from "./history";
import { reveal } from "./reveal";
import { handledGlobally } from "./session";
import { state } from "./state";
import { loadTokens } from "./tokens";
import type { ApiTokenSummary, RotateApiTokenResponse } from "./wire";

let current: { token: ApiTokenSummary | null; opener: HTMLElement | null } = { token: null, opener: null };

export function returnFocus(): void {
  const { opener } = current;
  if (opener && document.body.contains(opener)) opener.focus();
  else $("tokens-heading").focus();
}

export function openRotate(token: ApiTokenSummary, opener: HTMLElement): void {
  current = { token, opener };
  $("rotate-name").textContent = token.name;
  clearErrors(form("rotate-form"));
  select("grace").value = "86400";
  dialog("rotate-dialog").showModal();
  select("grace").focus();
}

export async function rotate(event: Event): Promise<void> {
  event.preventDefault();
  const { token } = current;
  if (state.busy || !token) return;
  clearErrors(form("rotate-form"));
  state.busy = true;
  button("rotate-confirm").disabled = true;
  const result = await api<RotateApiTokenResponse>("POST", "/" + token.id + "/rotate", {
    gracePeriodSeconds: Number(select("grace").value),
  });
  state.busy = false;
  button("rotate-confirm").disabled = false;
  if (result.status === 201 && result.data) {
    dialog("rotate-dialog").close();
    reveal(result.data.token, result.data.previous);
    announce("Token “" + token.name + "” rotated. Copy the new token now: it is shown only this once.");
    void loadTokens();
    void refreshHistory(token.id);
    return;
  }
  if (result.status === 400) return showIssues(result, "rotate-error");
  dialog("rotate-dialog").close();
  if (!handledGlobally(result)) showAlert(explain(result));
  if (result.status === 404) void loadTokens();
}

export function openDelete(token: ApiTokenSummary, opener: HTMLElement): void {
  current = { token, opener };
  $("delete-name").textContent = token.name;
  clearErrors(form("delete-form"));
  input("delete-confirm-name").value = "";
  button("delete-confirm").disabled = true;
  dialog("delete-dialog").showModal();
  input("delete-confirm-name").focus();
}

export function deleteNameMatches(): boolean {
  return current.token !== null && input("delete-confirm-name").value.trim() === current.token.name;
}

export async function remove(event: Event): Promise<void> {
  event.preventDefault();
  const { token } = current;
  if (state.busy || !token) return;
  if (!deleteNameMatches()) {
    setFieldError("", "Type the name exactly as shown: “" + token.name + "”.", "delete-error");
    return;
  }
  state.busy = true;
  button("delete-confirm").disabled = true;
  const result = await api("DELETE", "/" + token.id);
  state.busy = false;
  dialog("delete-dialog").close();
  if (result.status === 204 || result.status === 404) {
    announce(
      result.status === 204
        ? "Token “" + token.name + "” deleted. Anything still using it is now refused."
        : "Token “" + token.name + "” was already gone.",
    );
    current.opener = null;
    await loadTokens();
    void refreshHistory(token.id);
    $("tokens-heading").focus();
    return;
  }
  if (!handledGlobally(result)) showAlert(explain(result));
}
