#!/usr/bin/env node
// The compiled command (`pnpm build` makes dist/ in a checkout; the published package ships it).
require("../dist/main.cjs");
