/**
 * A refused form, field by field: a 400's issues shown beside the inputs they name, with
 * `aria-invalid` set and focus on the first one.
 */
import { type ApiResult, errorBody, explain, serverMessage } from "./api";
import { $, input } from "./dom";
import { teamsUnlisted } from "./state";

interface FieldTarget {
  readonly error: string;
  readonly input: string | null;
}

const FIELD_TARGETS: Readonly<Record<string, FieldTarget>> = {
  tokenName: { error: "token-name-error", input: "token-name" },
  teamId: { error: "team-error", input: null },
  expirationDate: { error: "expiry-error", input: null },
  scopes: { error: "scopes-error", input: "scopes" },
  gracePeriodSeconds: { error: "grace-error", input: "grace" },
};

export const teamInput = () => (teamsUnlisted() ? "team-id" : "team-select");
const expiryInput = () => (input("expiry").value === "custom" ? "expiry-date" : "expiry");

function inputFor(field: string): string | null {
  if (field === "teamId") return teamInput();
  if (field === "expirationDate") return expiryInput();
  return Object.hasOwn(FIELD_TARGETS, field) ? FIELD_TARGETS[field]!.input : null;
}

export function clearErrors(form: HTMLFormElement): void {
  for (const p of form.querySelectorAll<HTMLElement>(".field-error")) {
    p.textContent = "";
    p.hidden = true;
  }
  for (const el of form.querySelectorAll("[aria-invalid]")) el.removeAttribute("aria-invalid");
}

/** Shows a message under a field (or under `fallbackId`); the id of the input to focus, if any. */
export function setFieldError(field: string, message: string, fallbackId?: string): string | null {
  const key = field.split(".")[0]!;
  const target = Object.hasOwn(FIELD_TARGETS, key) ? FIELD_TARGETS[key] : undefined;
  const error = $(target ? target.error : fallbackId!);
  error.textContent = error.textContent ? error.textContent + " " + message : message;
  error.hidden = false;
  const inputId = target ? inputFor(key) : null;
  if (inputId) $(inputId).setAttribute("aria-invalid", "true");
  return inputId;
}

/** Shows a 400's issues beside their fields and moves focus to the first one. */
export function showIssues(result: ApiResult, fallbackId: string): void {
  const sent = errorBody(result).issues;
  let issues: ReadonlyArray<{ field?: unknown; message?: unknown }> = Array.isArray(sent) ? sent : [];
  if (issues.length === 0) issues = [{ field: "", message: serverMessage(result) || explain(result) }];
  let first: string | null = null;
  for (const issue of issues) {
    const inputId = setFieldError(String(issue.field || ""), String(issue.message || ""), fallbackId);
    if (!first) first = inputId || fallbackId;
  }
  const target = first ? document.getElementById(first) : null;
  if (target) {
    if (!target.hasAttribute("tabindex") && target.tagName === "P") target.setAttribute("tabindex", "-1");
    target.focus();
  }
}
