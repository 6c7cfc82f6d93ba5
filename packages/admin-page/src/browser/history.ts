/**
 * A token's history: what the security log recorded for it (`GET <mount>/events?tokenId=`),
 * newest first, a page at a time. Every field is written as text: a user agent is whatever the
 * client sent, and must never become markup.
 */
import { type ApiResult, api, explain } from "./api";
import { timeElement } from "./dates";
import { $, button, cell } from "./dom";
import { signedOut } from "./session";
import { state } from "./state";
import type { ApiTokenSummary, ListSecurityEventsResponse, SecurityEvent, SecurityEventType } from "./wire";

const EVENT_NAMES: Readonly<Record<SecurityEventType, string>> = {
  created: "Created",
  rotated: "Rotated",
  revoked: "Revoked",
  expired_on_use: "Refused: used after it expired",
  refused_disabled_owner: "Refused: its owner is disabled",
  rate_limited: "Refused: over its rate limit",
};

/** The token shown, and where its next page of events starts (null: no more). */
let shown: { tokenId: number; nextCursor: string | null } | null = null;

export function eventName(event: SecurityEvent): string {
  const name = Object.hasOwn(EVENT_NAMES, event.type) ? EVENT_NAMES[event.type] : event.type;
  return event.count > 1 ? name + " (" + event.count + " times)" : name;
}

function eventRow(event: SecurityEvent): HTMLTableRowElement {
  const row = document.createElement("tr");
  row.dataset["eventType"] = event.type;
  cell(row, eventName(event));
  cell(row, timeElement(event.at, false));
  const me = state.session?.user.id;
  cell(
    row,
    event.actorUserId === null ? "—" : event.actorUserId === me ? "you" : "user #" + event.actorUserId,
  );
  cell(row, event.clientAddress ?? "—");
  const agent = cell(row, event.userAgent ?? "—");
  agent.className = "agent-cell";
  return row;
}

function historyFailure(result: ApiResult): string {
  if (result.status === 404) {
    return "This server keeps no history of tokens (HTTP 404): its admin router has no security log.";
  }
  return "The history could not be loaded. " + explain(result);
}

async function loadEvents(tokenId: number, cursor: string | null): Promise<void> {
  const error = $("history-error");
  error.hidden = true;
  $("history-loading").hidden = false;
  $("history").setAttribute("aria-busy", "true");
  const query = "?tokenId=" + tokenId + (cursor ? "&cursor=" + encodeURIComponent(cursor) : "");
  const result = await api<ListSecurityEventsResponse>("GET", "/events" + query);
  $("history-loading").hidden = true;
  $("history").setAttribute("aria-busy", "false");
  // The reader moved on to another token while this page was on its way.
  if (shown?.tokenId !== tokenId) return;
  if (result.status === 401) return signedOut(result);
  if (!result.ok || !result.data || !Array.isArray(result.data.events)) {
    error.textContent = historyFailure(result);
    error.hidden = false;
    return;
  }
  const body = $("history-body");
  if (cursor === null) body.textContent = "";
  for (const event of result.data.events) body.appendChild(eventRow(event));
  shown.nextCursor = result.data.nextCursor;
  const empty = body.childElementCount === 0;
  $("history-table").hidden = empty;
  $("history-empty").hidden = !empty;
  button("history-more").hidden = shown.nextCursor === null;
}

/** Shows the history panel for a token, from its newest event. */
export async function openHistory(token: ApiTokenSummary, _opener: HTMLElement): Promise<void> {
  shown = { tokenId: token.id, nextCursor: null };
  $("history-name").textContent = token.name;
  $("history-body").textContent = "";
  $("history-table").hidden = true;
  $("history-empty").hidden = true;
  button("history-more").hidden = true;
  $("history").hidden = false;
  $("history-heading").focus();
  await loadEvents(token.id, null);
}

/** Reloads the panel when it shows this token: a rotate or a delete has just added an event. */
export async function refreshHistory(tokenId: number): Promise<void> {
  if (shown?.tokenId !== tokenId || $("history").hidden) return;
  shown.nextCursor = null;
  await loadEvents(tokenId, null);
}

export async function moreHistory(): Promise<void> {
  if (shown?.nextCursor) await loadEvents(shown.tokenId, shown.nextCursor);
}

export function closeHistory(): void {
  shown = null;
  $("history").hidden = true;
  $("tokens-heading").focus();
}
