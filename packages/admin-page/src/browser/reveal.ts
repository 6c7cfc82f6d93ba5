/** The plain token, shown once after a create or a rotate, with a copy button, then hidden for good. */
import { dateFormat } from "./dates";
import { $, announce, input } from "./dom";
import type { RotateApiTokenResponse } from "./wire";

export function reveal(token: string, previous: RotateApiTokenResponse["previous"] | null): void {
  input("reveal-token").value = token;
  $("copy-status").textContent = "";
  $("reveal-rotated").hidden = !previous;
  $("reveal-heading").textContent = previous ? "Your rotated token" : "Your new token";
  if (previous) {
    const until = previous.expiresAt ? new Date(previous.expiresAt) : null;
    $("reveal-grace").textContent =
      !until || until.getTime() <= Date.now() + 1000
        ? "has stopped working."
        : "keeps working until " +
          dateFormat.format(until) +
          ". Switch your systems to the new one before then.";
  }
  $("reveal").hidden = false;
  $("reveal-heading").focus();
}

export async function copyToken(): Promise<void> {
  const field = input("reveal-token");
  const status = $("copy-status");
  try {
    await navigator.clipboard.writeText(field.value);
    status.textContent = "Copied to the clipboard.";
    return;
  } catch {
    // No clipboard access (an insecure origin, a denied permission): select it for the user.
  }
  field.focus();
  field.select();
  let copied = false;
  try {
    // The one fallback older browsers and insecure origins have.
    copied = document.execCommand("copy");
  } catch {
    copied = false;
  }
  status.textContent = copied
    ? "Copied to the clipboard."
    : "The token is selected: press Ctrl+C (or ⌘C on a Mac) to copy it.";
}

export function storedToken(): void {
  input("reveal-token").value = "";
  $("reveal").hidden = true;
  announce("The token is hidden for good. Only its name and dates stay on this page.");
  $("tokens-heading").focus();
}
