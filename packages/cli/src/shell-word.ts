/** Printing a `--store` or `--redis` URL inside a command the user can paste into a shell. */

/** A URL as a shell word for the printed hints; one carrying a password is not printed. */
export function shellWord(url: string, placeholder: string): string {
  if (/^[a-z]+:\/\/[^/@]*:[^/@]*@/i.test(url)) return placeholder;
  // `?` globs and `&` ends the command in sh: a URL with a query string is quoted.
  return /^[\w:/.@=%+,-]+$/.test(url) ? url : `'${url.replace(/'/g, "'\\''")}'`;
}
