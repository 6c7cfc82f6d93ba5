/**
 * The page's files as the package ships them (`dist/static/`, made by `pnpm run build`): every
 * element the script looks up is in the markup, the script is one classic file that needs no
 * inline code (the CSP allows `script-src 'self'` only), and no server data can become markup.
 */
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { TOKEN_PAGE_DIRECTORY, tokenPageFiles } from ".";

const BROWSER_SOURCES = join(__dirname, "browser");

function built() {
  if (!existsSync(join(TOKEN_PAGE_DIRECTORY, "app.js"))) {
    throw new Error(`${TOKEN_PAGE_DIRECTORY} has no app.js: run \`pnpm run build\` first`);
  }
  return tokenPageFiles();
}

describe("the token page's built files", () => {
  it("ship the markup and style sheet as written, and the script bundled from its modules", () => {
    const files = built();
    expect(files.page).toBe(readFileSync(join(BROWSER_SOURCES, "index.html"), "utf8"));
    expect(files.pageStyle).toBe(readFileSync(join(BROWSER_SOURCES, "app.css"), "utf8"));
    // One classic script: no import or export left for a browser to choke on.
    expect(() => new Function(files.pageScript)).not.toThrow();
    expect(files.pageScript).not.toMatch(/^\s*(import|export)\s/m);
    expect(files.pageScript).toContain("/events?tokenId=");
  });

  it("load the script from a file, with no inline script the page's CSP would block", () => {
    const { page } = built();
    expect(page).not.toMatch(/<script(?![^>]*\bsrc=)[^>]*>/);
    expect(page).toContain('<script src="ui/app.js" defer></script>');
    expect(page).toContain('<link rel="stylesheet" href="ui/app.css">');
    expect(page).not.toMatch(/\son[a-z]+=/i);
    expect(page).not.toMatch(/style="/);
  });

  it("has every element the script looks up by id", () => {
    const { page } = built();
    const ids = new Set([...page.matchAll(/\sid="([^"]+)"/g)].map((m) => m[1]));
    const wanted = new Set<string>();
    for (const file of readdirSync(BROWSER_SOURCES).filter((name) => name.endsWith(".ts"))) {
      const source = readFileSync(join(BROWSER_SOURCES, file), "utf8");
      for (const m of source.matchAll(
        /(?<![\w$.])(?:\$|input|select|button|dialog|form)(?:<\w+>)?\("([a-z-]+)"\)/g,
      )) {
        wanted.add(m[1]!);
      }
    }
    expect(wanted.size).toBeGreaterThan(40);
    expect([...wanted].filter((id) => !ids.has(id))).toEqual([]);
  });

  it("never writes server data as markup", () => {
    const { pageScript } = built();
    expect(pageScript).not.toMatch(/innerHTML|outerHTML|insertAdjacentHTML|document\.write/);
  });
});
