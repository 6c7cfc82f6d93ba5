#!/bin/sh
# Installs what a fresh clone needs, so `npm run demo` and `npm test` each work as one command.
set -e
if ! command -v pnpm >/dev/null 2>&1 || [ "$(pnpm --version 2>/dev/null)" != "12.4.2" ]; then
  echo "bootstrap: installing pnpm 12.4.2 with npm (corepack's download cannot be verified here)"
  npm i -g pnpm@12.4.2 >/dev/null
fi
# better-sqlite3 compiles against Node's own headers; without this node-gyp tries to download them.
if [ -z "$npm_config_nodedir" ] && [ -f /usr/include/node/node_version.h ]; then
  export npm_config_nodedir=/usr
fi
pnpm install --frozen-lockfile --reporter=append-only
