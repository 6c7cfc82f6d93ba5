#!/usr/bin/env node
// The workspace ships TypeScript sources; tsx compiles them on load so the CLI runs without a build.
require("tsx/cjs");
require("../src/main.ts");
