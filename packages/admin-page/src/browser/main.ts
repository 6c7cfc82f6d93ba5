/**
 * The token page's script, bundled by the package's build into `dist/static/app.js`: wires the
 * page's controls to the modules beside this one, then asks who is signed in. No framework; every
 * piece of server data is written with `textContent` or `value`, never as markup.
 */
import { create, lookUpTeam } from "./create";
import { deleteNameMatches, remove, returnFocus, rotate } from "./dialogs";
import { $, button, dialog, form, input, select } from "./dom";
import { closeHistory, moreHistory } from "./history";
import { copyToken, storedToken } from "./reveal";
import { start, syncOwner } from "./session";

function showExpiryDate(): void {
  const custom = select("expiry").value === "custom";
  $("expiry-date-row").hidden = !custom;
  if (custom) {
    const tomorrow = new Date(Date.now() + 86400000);
    input("expiry-date").min = tomorrow.toISOString().slice(0, 10);
  }
}

document.addEventListener("DOMContentLoaded", () => {
  form("create-form").addEventListener("submit", create);
  input("owner-personal").addEventListener("change", syncOwner);
  input("owner-team").addEventListener("change", syncOwner);
  select("expiry").addEventListener("change", showExpiryDate);
  button("copy").addEventListener("click", copyToken);
  button("stored").addEventListener("click", storedToken);
  button("retry").addEventListener("click", start);
  button("team-lookup-go").addEventListener("click", lookUpTeam);
  form("rotate-form").addEventListener("submit", rotate);
  button("rotate-cancel").addEventListener("click", () => dialog("rotate-dialog").close());
  dialog("rotate-dialog").addEventListener("close", returnFocus);
  form("delete-form").addEventListener("submit", remove);
  button("delete-cancel").addEventListener("click", () => dialog("delete-dialog").close());
  dialog("delete-dialog").addEventListener("close", returnFocus);
  input("delete-confirm-name").addEventListener("input", () => {
    button("delete-confirm").disabled = !deleteNameMatches();
  });
  button("history-more").addEventListener("click", moreHistory);
  button("history-close").addEventListener("click", closeHistory);
  void start();
});
