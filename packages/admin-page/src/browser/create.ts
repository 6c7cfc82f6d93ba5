/** The create form: checks what only the browser can (a chosen date, a team), then `POST <mount>`. */
import { type ApiResult, api, explain } from "./api";
import { endOfDay } from "./dates";
import { $, announce, button, form, input, select, showAlert } from "./dom";
import { clearErrors, setFieldError, showIssues, teamInput } from "./fields";
import { reveal } from "./reveal";
import { handledGlobally, rememberTeam } from "./session";
import { state, teamsUnlisted } from "./state";
import { loadTokens } from "./tokens";
import type { CreateApiTokenRequest, CreateApiTokenResponse } from "./wire";

const WHOLE_NUMBER = /^[1-9][0-9]*$/;

/** The request the form describes, or null when a field needs fixing first (its error is shown). */
function createRequest(): CreateApiTokenRequest | null {
  const body: { -readonly [K in keyof CreateApiTokenRequest]: CreateApiTokenRequest[K] } = {
    tokenName: input("token-name").value,
  };
  const expiry = select("expiry").value;
  if (expiry === "custom") {
    if (!input("expiry-date").value) {
      setFieldError("expirationDate", "Choose the date the token stops working.");
      input("expiry-date").focus();
      return null;
    }
    body.expirationDate = endOfDay(input("expiry-date").value);
  } else {
    body.expirationDate = expiry === "never" ? null : expiry;
  }
  if (input("owner-team").checked) {
    const raw = teamsUnlisted() ? input("team-id").value.trim() : select("team-select").value;
    if (!WHOLE_NUMBER.test(raw)) {
      setFieldError("teamId", teamsUnlisted() ? "Enter the team's id, a whole number." : "Choose a team.");
      $(teamInput()).focus();
      return null;
    }
    body.teamId = Number(raw);
  }
  const scopes = input("scopes")
    .value.split(/[\s,]+/)
    .filter(Boolean);
  if (scopes.length) body.scopes = scopes;
  return body;
}

export async function create(event: Event): Promise<void> {
  event.preventDefault();
  if (state.busy) return;
  clearErrors(form("create-form"));
  showAlert("");
  const body = createRequest();
  if (!body) return;

  state.busy = true;
  const submit = button("create-submit");
  submit.disabled = true;
  submit.textContent = "Creating…";
  const result: ApiResult<CreateApiTokenResponse> = await api("POST", "", body);
  state.busy = false;
  submit.disabled = false;
  submit.textContent = "Create token";
  if (result.status === 201 && result.data) {
    const name = body.tokenName.trim();
    input("token-name").value = "";
    input("scopes").value = "";
    if (typeof body.teamId === "number" && teamsUnlisted()) rememberTeam(body.teamId);
    reveal(result.data.token, null);
    announce("Token “" + name + "” created. Copy it now: it is shown only this once.");
    void loadTokens();
    return;
  }
  if (handledGlobally(result)) return;
  if (result.status === 400) return showIssues(result, "form-error");
  const error = $("form-error");
  error.textContent = explain(result);
  error.hidden = false;
}

export function lookUpTeam(): void {
  const raw = input("team-lookup-id").value.trim();
  if (!WHOLE_NUMBER.test(raw)) {
    showAlert("Enter a team id, a whole number.");
    input("team-lookup-id").focus();
    return;
  }
  showAlert("");
  rememberTeam(Number(raw));
  void loadTokens();
}
