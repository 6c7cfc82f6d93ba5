/**
 * One jest run for the whole workspace. Sources are TypeScript, compiled by swc on load; workspace
 * packages resolve to their sources so a change is tested without a build.
 * @type {import('jest').Config}
 */
module.exports = {
  testEnvironment: "node",
  transform: {
    "^.+\\.(t|j)sx?$": ["@swc/jest", { jsc: { target: "es2022", parser: { syntax: "typescript" } } }],
  },
  moduleNameMapper: {
    "^@tokengate/(core|admin-page|express|koa|hono|cache|redis|sqlite|postgres|cli)$":
      "<rootDir>/packages/$1/src/index.ts",
    "^@tokengate/test-support$": "<rootDir>/tests/support/index.ts",
    "^@tokengate/test-support/topologies$": "<rootDir>/tests/support/topologies.ts",
  },
  testMatch: [
    "<rootDir>/packages/*/src/**/*.test.ts",
    "<rootDir>/packages/*/test/**/*.test.ts",
    "<rootDir>/examples/*/src/**/*.test.ts",
    "<rootDir>/tests/**/*.test.ts",
  ],
  testTimeout: 30000,
};
