/**
 * Two builds. The package's Node entry (`src/index.ts`), as every package builds it, with the
 * `__dirname` shim so its ESM build finds the files beside it. Then the page itself, into
 * `dist/static/`: the browser modules bundled into one classic script (`app.js`, an IIFE, as the
 * page's `<script src defer>` and its CSP `script-src 'self'` expect), and the markup and style
 * sheet copied as they are. tsdown runs the two at once, so each cleans only its own files.
 */
import { defineConfig } from "tsdown";
import { packageBuild } from "../../tsdown.config";

export default defineConfig([
  packageBuild({ shims: true, clean: ["dist/index.*"] }),
  {
    cwd: process.cwd(),
    entry: { app: "src/browser/main.ts" },
    format: "iife",
    platform: "browser",
    // The browsers the page supports: `dialog`, `async`/`await`, `Object.hasOwn`, `??`.
    target: ["chrome93", "firefox92", "safari15.4"],
    outDir: "dist/static",
    // `app.js`, not tsdown's `app.iife.js`: the page names it.
    outputOptions: { entryFileNames: "[name].js" },
    tsconfig: "src/browser/tsconfig.json",
    dts: false,
    sourcemap: false,
    clean: ["dist/static"],
    report: false,
    copy: [
      { from: "src/browser/index.html", to: "dist/static" },
      { from: "src/browser/app.css", to: "dist/static" },
    ],
  },
]);
