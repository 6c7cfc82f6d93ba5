/**
 * The page's elements and the few ways it writes to them. Server data is only ever written as
 * text (`textContent`, `value`), never as markup.
 */

/** The element with this id; the page's markup has every id the script uses. */
export function $<T extends HTMLElement = HTMLElement>(id: string): T {
  const element = document.getElementById(id);
  if (!element) throw new Error(`The token page has no #${id}`);
  return element as T;
}

export const input = (id: string) => $<HTMLInputElement>(id);
export const select = (id: string) => $<HTMLSelectElement>(id);
export const button = (id: string) => $<HTMLButtonElement>(id);
export const dialog = (id: string) => $<HTMLDialogElement>(id);
export const form = (id: string) => $<HTMLFormElement>(id);

/** A polite status message for screen readers and sighted users alike. */
export function announce(text: string): void {
  const status = $("status");
  status.textContent = "";
  // A fresh node each time, so screen readers announce a repeated message too.
  window.setTimeout(() => {
    status.textContent = text;
  }, 30);
}

export function showAlert(text: string): void {
  const alert = $("alert");
  alert.textContent = text;
  alert.hidden = !text;
}

/** A table cell holding text or one element. */
export function cell(row: HTMLTableRowElement, content: string | Node | null): HTMLTableCellElement {
  const td = document.createElement("td");
  if (typeof content === "string") td.textContent = content;
  else if (content) td.appendChild(content);
  row.appendChild(td);
  return td;
}

export function badge(text: string, kind: string): HTMLSpanElement {
  const span = document.createElement("span");
  span.className = "badge badge-" + kind;
  span.textContent = text;
  return span;
}

/** A small grey line under a cell's main text. */
export function note(text: string): HTMLSpanElement {
  const span = document.createElement("span");
  span.className = "scopes";
  span.textContent = text;
  return span;
}
