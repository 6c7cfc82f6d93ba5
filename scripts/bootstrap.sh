#!/bin/sh
# Installs what a fresh clone needs, so `npm run demo` and `npm test` each work as one command.
# `--for-tests` also installs Debian's Chromium, which the token page's browser tests drive.
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

if [ "$1" = "--for-tests" ] && ! command -v chromium >/dev/null 2>&1; then
  # The token page is part of the product, so its browser tests should run: install Chromium where
  # this machine lets us (root with apt-get). Elsewhere those suites say loudly that they skip.
  if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
    echo "bootstrap: installing Debian's chromium for the token page's browser tests"
    if ! { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; }; then
      echo "bootstrap: !!! could not install chromium; the browser tests will be skipped" >&2
    fi
  else
    echo "bootstrap: !!! chromium is missing and this user cannot apt-get it; the browser tests will be skipped" >&2
  fi
fi
