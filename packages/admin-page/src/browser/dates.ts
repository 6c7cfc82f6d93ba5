/** Dates as the reader's locale writes them, absolute or relative ("3 days ago"). */

export const dateFormat = new Intl.DateTimeFormat(undefined, { dateStyle: "medium", timeStyle: "short" });
const relativeFormat = new Intl.RelativeTimeFormat(undefined, { numeric: "auto" });

const UNITS: ReadonlyArray<readonly [Intl.RelativeTimeFormatUnit, number]> = [
  ["year", 31536000],
  ["month", 2592000],
  ["week", 604800],
  ["day", 86400],
  ["hour", 3600],
  ["minute", 60],
];

export function relativeTime(date: Date): string {
  const diff = (date.getTime() - Date.now()) / 1000;
  for (const [unit, size] of UNITS) {
    if (Math.abs(diff) >= size) return relativeFormat.format(Math.round(diff / size), unit);
  }
  return Math.abs(diff) < 45 ? "just now" : relativeFormat.format(Math.round(diff), "second");
}

/** A `<time>` with the exact date in its title. */
export function timeElement(iso: string, relative: boolean): HTMLTimeElement {
  const time = document.createElement("time");
  const date = new Date(iso);
  time.dateTime = iso;
  time.title = dateFormat.format(date);
  time.textContent = relative ? relativeTime(date) : dateFormat.format(date);
  return time;
}

/** The end of a `yyyy-mm-dd` day in the reader's time zone, as an ISO instant. */
export function endOfDay(value: string): string {
  const [year = 0, month = 1, day = 1] = value.split("-").map(Number);
  return new Date(year, month - 1, day, 23, 59, 59).toISOString();
}
