/**
 * @tokengate/admin-page: the token page as files. Its markup (`src/browser/index.html`), style
 * sheet (`app.css`) and script (TypeScript modules under `src/browser/`, bundled by this package's
 * build into one classic script) ship in `dist/static/`; this entry reads them for the admin
 * routers of `@tokengate/express`, `@tokengate/koa` and `@tokengate/hono`, which serve them at
 * `<mount>/ui` when mounted with `page: true`. Nothing here runs in the browser, and applications
 * need no build step of their own.
 *
 * @module
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";

/** The page's three files, as the core's `AdminPageFiles` port names them. */
export interface TokenPageFiles {
  /** `<mount>/ui`: the HTML document. */
  readonly page: string;
  /** `<mount>/ui/app.js`: the page script, one classic script (no modules, no inline code). */
  readonly pageScript: string;
  /** `<mount>/ui/app.css`: the style sheet. */
  readonly pageStyle: string;
}

/**
 * Where the built files are: `dist/static/` of this package. From `dist/index.*` and from
 * `src/index.ts` (the workspace's tests) alike, it is one folder up, then `dist/static`.
 */
export const TOKEN_PAGE_DIRECTORY = join(__dirname, "..", "dist", "static");

let files: TokenPageFiles | undefined;

/**
 * The page's files, read once from `dist/static/` on first use (the routers ask for them only when
 * a browser asks for the page). Throws when the package was not built: in the workspace, run
 * `pnpm run build`; an installed package always has them.
 */
export function tokenPageFiles(): TokenPageFiles {
  if (files) return files;
  const read = (name: string) => readFileSync(join(TOKEN_PAGE_DIRECTORY, name), "utf8");
  files = { page: read("index.html"), pageScript: read("app.js"), pageStyle: read("app.css") };
  return files;
}
