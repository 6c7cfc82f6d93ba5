/**
 * The token page's script: plain browser JavaScript, no framework and no build step. It talks to
 * the admin router it was served by (same origin, the app's own session), and writes every piece
 * of server data with `textContent`, never as markup. Kept free of backticks so it can live in
 * this string verbatim.
 */
export const PAGE_SCRIPT = String.raw`(function () {
  "use strict";

  // The router's API sits one level above the page: <mount>/ui/app.js -> <mount>.
  var scriptUrl = document.currentScript ? document.currentScript.src : location.href;
  var BASE = scriptUrl.replace(/\/ui\/app\.js(?:[?#].*)?$/, "");

  var $ = function (id) { return document.getElementById(id); };
  var state = { session: null, tokens: [], teamNames: {}, extraTeams: [], busy: false };
  var dateFormat = new Intl.DateTimeFormat(undefined, { dateStyle: "medium", timeStyle: "short" });
  var relativeFormat = new Intl.RelativeTimeFormat(undefined, { numeric: "auto" });

  // ---- talking to the server -------------------------------------------------------------

  async function api(method, path, body) {
    var init = { method: method, credentials: "same-origin", headers: { accept: "application/json" } };
    if (body !== undefined) {
      init.headers["content-type"] = "application/json";
      init.body = JSON.stringify(body);
    }
    var response;
    try {
      response = await fetch(BASE + path, init);
    } catch (error) {
      return { ok: false, status: 0, data: null, retryAfter: null };
    }
    var data = null;
    if (response.status !== 204) {
      try { data = await response.json(); } catch (error) { data = null; }
    }
    return { ok: response.ok, status: response.status, data: data, retryAfter: response.headers.get("retry-after") };
  }

  function serverMessage(result) {
    return result.data && typeof result.data.message === "string" ? result.data.message : "";
  }

  function seconds(result, fallback) {
    var n = Number(result.retryAfter);
    return Number.isFinite(n) && n > 0 ? n : fallback;
  }

  /** A failed call, said in words a person can act on. */
  function explain(result) {
    var code = result.data && result.data.error;
    switch (true) {
      case result.status === 0:
        return "The server could not be reached, so nothing was changed. Check your connection, then try again.";
      case result.status === 401:
        return "You are not signed in (or your session has ended), so the server refused (HTTP 401). Sign in to the application in this browser, then press Try again.";
      case code === "csrf_rejected":
        return "The server refused the request because it did not come from this page (HTTP 403, a protection against forged requests from other sites). Reload this page and try again.";
      case result.status === 403:
        return "You are not allowed to do that (HTTP 403): " + (serverMessage(result) || "permission denied") + ". A team's admins manage its tokens; ask one if you need this.";
      case result.status === 404:
        return "That token no longer exists: it may have been deleted or rotated elsewhere. The list has been refreshed.";
      case result.status === 429:
        return "Too many requests. Wait " + seconds(result, 10) + " seconds, then try again.";
      case result.status >= 500:
        return "The token service is unavailable right now (HTTP " + result.status + "), so nothing was changed. Try again in " + seconds(result, 5) + " seconds.";
      default:
        return serverMessage(result) || "The request failed (HTTP " + result.status + ").";
    }
  }

  // ---- messages --------------------------------------------------------------------------

  function announce(text) {
    var status = $("status");
    status.textContent = "";
    // A fresh node each time, so screen readers announce a repeated message too.
    window.setTimeout(function () { status.textContent = text; }, 30);
  }

  function showAlert(text) {
    var alert = $("alert");
    alert.textContent = text;
    alert.hidden = !text;
  }

  function signedOut(result) {
    state.session = null;
    $("create").hidden = true;
    $("list").hidden = true;
    $("reveal").hidden = true;
    $("who").textContent = "";
    showAlert("");
    var forbidden = result.status === 403;
    $("signed-out-heading").textContent = forbidden ? "You cannot manage tokens here" : "You are not signed in";
    $("signed-out-text").textContent = explain(result);
    $("signed-out").hidden = false;
    $("signed-out-heading").focus();
  }

  /** Handles a failure every call can meet; true when it did. */
  function handledGlobally(result) {
    if (result.status === 401) { signedOut(result); return true; }
    if (result.status === 0 || result.status >= 500 || result.status === 429 || (result.data && result.data.error === "csrf_rejected")) {
      showAlert(explain(result));
      return true;
    }
    return false;
  }

  // ---- field errors ----------------------------------------------------------------------

  var FIELD_TARGETS = {
    tokenName: { error: "token-name-error", input: "token-name" },
    teamId: { error: "team-error", input: null },
    expirationDate: { error: "expiry-error", input: null },
    scopes: { error: "scopes-error", input: "scopes" },
    gracePeriodSeconds: { error: "grace-error", input: "grace" },
  };

  function teamInput() { return state.session && state.session.teams === null ? "team-id" : "team-select"; }
  function expiryInput() { return $("expiry").value === "custom" ? "expiry-date" : "expiry"; }

  function inputFor(field) {
    if (field === "teamId") return teamInput();
    if (field === "expirationDate") return expiryInput();
    return FIELD_TARGETS[field] ? FIELD_TARGETS[field].input : null;
  }

  function clearErrors(form) {
    form.querySelectorAll(".field-error").forEach(function (p) { p.textContent = ""; p.hidden = true; });
    form.querySelectorAll("[aria-invalid]").forEach(function (el) { el.removeAttribute("aria-invalid"); });
  }

  function setFieldError(field, message, fallbackId) {
    var key = field.split(".")[0];
    var target = FIELD_TARGETS[key];
    var error = $(target ? target.error : fallbackId);
    error.textContent = error.textContent ? error.textContent + " " + message : message;
    error.hidden = false;
    var inputId = target ? inputFor(key) : null;
    if (inputId) $(inputId).setAttribute("aria-invalid", "true");
    return inputId;
  }

  /** Shows a 400's issues beside their fields and moves focus to the first one. */
  function showIssues(result, fallbackId) {
    var issues = (result.data && Array.isArray(result.data.issues) && result.data.issues) || [];
    if (issues.length === 0) issues = [{ field: "", message: serverMessage(result) || explain(result) }];
    var first = null;
    issues.forEach(function (issue) {
      var inputId = setFieldError(String(issue.field || ""), String(issue.message || ""), fallbackId);
      if (!first) first = inputId || fallbackId;
    });
    if (first && $(first)) {
      if (!$(first).hasAttribute("tabindex") && $(first).tagName === "P") $(first).setAttribute("tabindex", "-1");
      $(first).focus();
    }
  }

  // ---- dates -----------------------------------------------------------------------------

  function timeElement(iso, relative) {
    var time = document.createElement("time");
    var date = new Date(iso);
    time.dateTime = iso;
    time.title = dateFormat.format(date);
    time.textContent = relative ? relativeTime(date) : dateFormat.format(date);
    return time;
  }

  function relativeTime(date) {
    var diff = (date.getTime() - Date.now()) / 1000;
    var units = [["year", 31536000], ["month", 2592000], ["week", 604800], ["day", 86400], ["hour", 3600], ["minute", 60]];
    for (var i = 0; i < units.length; i++) {
      if (Math.abs(diff) >= units[i][1]) return relativeFormat.format(Math.round(diff / units[i][1]), units[i][0]);
    }
    return Math.abs(diff) < 45 ? "just now" : relativeFormat.format(Math.round(diff), "second");
  }

  // ---- the session -----------------------------------------------------------------------

  async function start() {
    $("signed-out").hidden = true;
    showAlert("");
    $("list").hidden = false;
    setLoading(true);
    var result = await api("GET", "/session");
    if (!result.ok) {
      setLoading(false);
      if (result.status === 401 || result.status === 403) return signedOut(result);
      $("list").hidden = true;
      showAlert(explain(result));
      return;
    }
    state.session = result.data;
    state.extraTeams = rememberedTeams();
    renderSession();
    $("create").hidden = false;
    await loadTokens();
  }

  // Without a directory that lists teams, the team ids the user typed are remembered per user in
  // this browser, so their team tokens stay listed after a reload.
  function teamsKey() { return "tokengate.teams." + state.session.user.id; }

  function rememberedTeams() {
    if (state.session.teams !== null) return [];
    try {
      var ids = JSON.parse(localStorage.getItem(teamsKey()) || "[]");
      return Array.isArray(ids) ? ids.filter(function (id) { return Number.isInteger(id) && id > 0; }) : [];
    } catch (error) {
      return [];
    }
  }

  function rememberTeam(id) {
    if (state.extraTeams.indexOf(id) >= 0) return;
    state.extraTeams.push(id);
    try { localStorage.setItem(teamsKey(), JSON.stringify(state.extraTeams)); } catch (error) { /* private mode */ }
  }

  function manageableTeams() {
    var teams = state.session && state.session.teams;
    return teams ? teams.filter(function (t) { return t.canManage; }) : [];
  }

  function renderSession() {
    var session = state.session;
    var name = session.user.name || "user #" + session.user.id;
    var who = "Signed in as " + name;
    var admin = manageableTeams();
    if (admin.length) who += ", managing tokens of " + admin.map(function (t) { return t.name || "team #" + t.id; }).join(", ");
    $("who").textContent = who + ".";
    state.teamNames = {};
    (session.teams || []).forEach(function (t) { state.teamNames[t.id] = t.name || "team #" + t.id; });

    var select = $("team-select");
    select.textContent = "";
    admin.forEach(function (t) {
      var option = document.createElement("option");
      option.value = String(t.id);
      option.textContent = t.name || "team #" + t.id;
      select.appendChild(option);
    });
    var listsTeams = session.teams !== null;
    $("owner-team-choice").hidden = listsTeams && admin.length === 0;
    $("owner-hint").textContent = listsTeams && admin.length === 0
      ? "Your tokens are personal: they act as you. Team tokens can be created by a team's admins."
      : "A personal token acts as you. A team token acts as you inside the team, and the team's admins can see and revoke it.";
    $("team-lookup").hidden = listsTeams;
    syncOwner();
  }

  function syncOwner() {
    var team = $("owner-team").checked;
    var listsTeams = state.session && state.session.teams !== null;
    $("team-select-row").hidden = !(team && listsTeams);
    $("team-id-row").hidden = !(team && !listsTeams);
  }

  // ---- the list --------------------------------------------------------------------------

  function setLoading(loading) {
    $("list").setAttribute("aria-busy", loading ? "true" : "false");
    $("list-loading").hidden = !loading;
    if (loading) { $("tokens").hidden = true; $("list-empty").hidden = true; }
  }

  async function loadTokens() {
    setLoading(true);
    var teamIds = manageableTeams().map(function (t) { return t.id; }).concat(state.extraTeams);
    // The mount path itself, no trailing slash: some routers (Hono) match "/api-tokens" but not "/api-tokens/".
    var calls = [api("GET", "")].concat(teamIds.map(function (id) { return api("GET", "?teamId=" + id); }));
    var results = await Promise.all(calls);
    setLoading(false);
    var tokens = [];
    var failure = null;
    for (var i = 0; i < results.length; i++) {
      var result = results[i];
      if (result.ok && result.data && Array.isArray(result.data.tokens)) tokens = tokens.concat(result.data.tokens);
      else if (!failure) failure = result;
    }
    if (failure && failure.status === 401) return signedOut(failure);
    if (failure) showAlert("Some tokens could not be listed. " + explain(failure));
    tokens.sort(function (a, b) { return b.createdAt.localeCompare(a.createdAt) || b.id - a.id; });
    state.tokens = tokens;
    renderTokens();
    // An empty list is only "no tokens" when every call answered.
    if (failure) $("list-empty").hidden = true;
  }

  function badge(text, kind) {
    var span = document.createElement("span");
    span.className = "badge badge-" + kind;
    span.textContent = text;
    return span;
  }

  function cell(row, content) {
    var td = document.createElement("td");
    if (typeof content === "string") td.textContent = content;
    else if (content) td.appendChild(content);
    row.appendChild(td);
    return td;
  }

  function renderTokens() {
    var body = $("tokens-body");
    body.textContent = "";
    $("list-empty").hidden = state.tokens.length > 0;
    $("tokens").hidden = state.tokens.length === 0;
    var me = state.session ? state.session.user.id : null;
    state.tokens.forEach(function (token) {
      var row = document.createElement("tr");
      row.dataset.tokenId = String(token.id);
      var expired = token.status === "expired";
      var retiring = !expired && token.replacedById !== null;
      if (expired) row.className = "is-expired";

      var nameCell = cell(row, "");
      nameCell.className = "name-cell";
      var strong = document.createElement("strong");
      strong.textContent = token.name;
      nameCell.appendChild(strong);
      if (token.scopes && token.scopes.length) {
        var scopes = document.createElement("span");
        scopes.className = "scopes";
        scopes.textContent = "Scopes: " + token.scopes.join(" ");
        nameCell.appendChild(scopes);
      }

      var ownerCell;
      if (token.teamId === null) {
        ownerCell = cell(row, badge("Personal", "personal"));
      } else {
        ownerCell = cell(row, badge("Team: " + (state.teamNames[token.teamId] || "team #" + token.teamId), "team"));
        var by = document.createElement("span");
        by.className = "scopes";
        by.textContent = token.createdBy === me ? "created by you" : token.createdBy === null ? "acts as the team's owner" : "created by user #" + token.createdBy;
        ownerCell.appendChild(by);
      }

      cell(row, timeElement(token.createdAt, false));
      var expiresCell = cell(row, token.expiresAt ? "" : "Never");
      if (token.expiresAt) {
        if (expired) expiresCell.appendChild(document.createTextNode("Expired "));
        expiresCell.appendChild(timeElement(token.expiresAt, false));
      }

      var statusCell = cell(row, badge(expired ? "Expired" : retiring ? "Replaced" : "Active", expired ? "expired" : retiring ? "retiring" : "active"));
      if (retiring) {
        var note = document.createElement("span");
        note.className = "scopes";
        note.textContent = "rotated; works until the grace period ends";
        statusCell.appendChild(note);
      }

      cell(row, token.lastUsedAt ? timeElement(token.lastUsedAt, true) : "Never used");

      var actions = document.createElement("div");
      actions.className = "row-actions";
      if (!retiring) {
        var rotate = document.createElement("button");
        rotate.type = "button";
        rotate.textContent = "Rotate";
        rotate.setAttribute("aria-label", "Rotate " + token.name);
        rotate.addEventListener("click", function () { openRotate(token, rotate); });
        actions.appendChild(rotate);
      }
      var remove = document.createElement("button");
      remove.type = "button";
      remove.textContent = "Delete";
      remove.setAttribute("aria-label", "Delete " + token.name);
      remove.addEventListener("click", function () { openDelete(token, remove); });
      actions.appendChild(remove);
      cell(row, actions);
      body.appendChild(row);
    });
  }

  // ---- the once-only token ---------------------------------------------------------------

  function reveal(token, previous) {
    $("reveal-token").value = token;
    $("copy-status").textContent = "";
    $("reveal-rotated").hidden = !previous;
    $("reveal-heading").textContent = previous ? "Your rotated token" : "Your new token";
    if (previous) {
      var until = previous.expiresAt ? new Date(previous.expiresAt) : null;
      $("reveal-grace").textContent = !until || until.getTime() <= Date.now() + 1000
        ? "has stopped working."
        : "keeps working until " + dateFormat.format(until) + ". Switch your systems to the new one before then.";
    }
    $("reveal").hidden = false;
    $("reveal-heading").focus();
  }

  async function copyToken() {
    var input = $("reveal-token");
    var status = $("copy-status");
    try {
      await navigator.clipboard.writeText(input.value);
      status.textContent = "Copied to the clipboard.";
      return;
    } catch (error) {
      // No clipboard access (an insecure origin, a denied permission): select it for the user.
    }
    input.focus();
    input.select();
    var copied = false;
    try { copied = document.execCommand("copy"); } catch (error) { copied = false; }
    status.textContent = copied ? "Copied to the clipboard." : "The token is selected: press Ctrl+C (or ⌘C on a Mac) to copy it.";
  }

  function storedToken() {
    $("reveal-token").value = "";
    $("reveal").hidden = true;
    announce("The token is hidden for good. Only its name and dates stay on this page.");
    $("tokens-heading").focus();
  }

  // ---- create ----------------------------------------------------------------------------

  function endOfDay(value) {
    var parts = value.split("-").map(Number);
    return new Date(parts[0], parts[1] - 1, parts[2], 23, 59, 59).toISOString();
  }

  async function create(event) {
    event.preventDefault();
    if (state.busy) return;
    var form = $("create-form");
    clearErrors(form);
    showAlert("");
    var body = { tokenName: $("token-name").value };
    var expiry = $("expiry").value;
    if (expiry === "custom") {
      if (!$("expiry-date").value) {
        setFieldError("expirationDate", "Choose the date the token stops working.");
        $("expiry-date").focus();
        return;
      }
      body.expirationDate = endOfDay($("expiry-date").value);
    } else {
      body.expirationDate = expiry === "never" ? null : expiry;
    }
    if ($("owner-team").checked) {
      var raw = state.session.teams === null ? $("team-id").value.trim() : $("team-select").value;
      if (!/^[1-9][0-9]*$/.test(raw)) {
        setFieldError("teamId", state.session.teams === null ? "Enter the team's id, a whole number." : "Choose a team.");
        $(teamInput()).focus();
        return;
      }
      body.teamId = Number(raw);
    }
    var scopes = $("scopes").value.split(/[\s,]+/).filter(Boolean);
    if (scopes.length) body.scopes = scopes;

    state.busy = true;
    var submit = $("create-submit");
    submit.disabled = true;
    submit.textContent = "Creating…";
    var result = await api("POST", "", body);
    state.busy = false;
    submit.disabled = false;
    submit.textContent = "Create token";
    if (result.status === 201) {
      var name = body.tokenName.trim();
      $("token-name").value = "";
      $("scopes").value = "";
      if (body.teamId !== undefined && state.session.teams === null) rememberTeam(body.teamId);
      reveal(result.data.token, null);
      announce("Token “" + name + "” created. Copy it now: it is shown only this once.");
      loadTokens();
      return;
    }
    if (handledGlobally(result)) return;
    if (result.status === 400) return showIssues(result, "form-error");
    var error = $("form-error");
    error.textContent = explain(result);
    error.hidden = false;
  }

  // ---- rotate and delete -----------------------------------------------------------------

  var current = { token: null, opener: null };

  function returnFocus() {
    var opener = current.opener;
    if (opener && document.body.contains(opener)) opener.focus();
    else $("tokens-heading").focus();
  }

  function openRotate(token, opener) {
    current = { token: token, opener: opener };
    $("rotate-name").textContent = token.name;
    clearErrors($("rotate-form"));
    $("grace").value = "86400";
    $("rotate-dialog").showModal();
    $("grace").focus();
  }

  async function rotate(event) {
    event.preventDefault();
    if (state.busy) return;
    var token = current.token;
    clearErrors($("rotate-form"));
    state.busy = true;
    $("rotate-confirm").disabled = true;
    var result = await api("POST", "/" + token.id + "/rotate", { gracePeriodSeconds: Number($("grace").value) });
    state.busy = false;
    $("rotate-confirm").disabled = false;
    if (result.status === 201) {
      $("rotate-dialog").close();
      reveal(result.data.token, result.data.previous);
      announce("Token “" + token.name + "” rotated. Copy the new token now: it is shown only this once.");
      loadTokens();
      return;
    }
    if (result.status === 400) return showIssues(result, "rotate-error");
    $("rotate-dialog").close();
    if (!handledGlobally(result)) showAlert(explain(result));
    if (result.status === 404) loadTokens();
  }

  function openDelete(token, opener) {
    current = { token: token, opener: opener };
    $("delete-name").textContent = token.name;
    clearErrors($("delete-form"));
    $("delete-confirm-name").value = "";
    $("delete-confirm").disabled = true;
    $("delete-dialog").showModal();
    $("delete-confirm-name").focus();
  }

  function deleteNameMatches() {
    return current.token !== null && $("delete-confirm-name").value.trim() === current.token.name;
  }

  async function remove(event) {
    event.preventDefault();
    if (state.busy) return;
    var token = current.token;
    if (!deleteNameMatches()) {
      setFieldError("", "Type the name exactly as shown: “" + token.name + "”.", "delete-error");
      return;
    }
    state.busy = true;
    $("delete-confirm").disabled = true;
    var result = await api("DELETE", "/" + token.id);
    state.busy = false;
    $("delete-dialog").close();
    if (result.status === 204 || result.status === 404) {
      announce(result.status === 204
        ? "Token “" + token.name + "” deleted. Anything still using it is now refused."
        : "Token “" + token.name + "” was already gone.");
      current.opener = null;
      await loadTokens();
      $("tokens-heading").focus();
      return;
    }
    if (!handledGlobally(result)) showAlert(explain(result));
  }

  // ---- wiring ----------------------------------------------------------------------------

  function lookUpTeam() {
    var raw = $("team-lookup-id").value.trim();
    if (!/^[1-9][0-9]*$/.test(raw)) { showAlert("Enter a team id, a whole number."); $("team-lookup-id").focus(); return; }
    showAlert("");
    rememberTeam(Number(raw));
    loadTokens();
  }

  document.addEventListener("DOMContentLoaded", function () {
    $("create-form").addEventListener("submit", create);
    $("owner-personal").addEventListener("change", syncOwner);
    $("owner-team").addEventListener("change", syncOwner);
    $("expiry").addEventListener("change", function () {
      var custom = $("expiry").value === "custom";
      $("expiry-date-row").hidden = !custom;
      if (custom) {
        var tomorrow = new Date(Date.now() + 86400000);
        $("expiry-date").min = tomorrow.toISOString().slice(0, 10);
      }
    });
    $("copy").addEventListener("click", copyToken);
    $("stored").addEventListener("click", storedToken);
    $("retry").addEventListener("click", start);
    $("team-lookup-go").addEventListener("click", lookUpTeam);
    $("rotate-form").addEventListener("submit", rotate);
    $("rotate-cancel").addEventListener("click", function () { $("rotate-dialog").close(); });
    $("rotate-dialog").addEventListener("close", returnFocus);
    $("delete-form").addEventListener("submit", remove);
    $("delete-cancel").addEventListener("click", function () { $("delete-dialog").close(); });
    $("delete-dialog").addEventListener("close", returnFocus);
    $("delete-confirm-name").addEventListener("input", function () {
      $("delete-confirm").disabled = !deleteNameMatches();
    });
    start();
  });
})();
`;
