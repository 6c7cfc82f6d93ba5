/**
 * The one gate every suite with an outside need goes through (real Redis or PostgreSQL, a
 * `redis-server` binary, Chromium): run it when the need is met; otherwise fail under CI=true, and
 * elsewhere skip it as a whole, hooks and all, after one loud line saying why and what to do.
 */
export function describeWhenAvailable(
  name: string,
  missing: string | undefined,
  remedy: string,
  body: () => void,
): void {
  if (missing === undefined) {
    describe(name, body);
    return;
  }
  if (process.env.CI === "true") {
    describe(name, () => {
      it("has what it needs", () => {
        throw new Error(`${name}: ${missing}; CI needs it`);
      });
    });
    return;
  }
  console.warn(`\n!!! SKIPPED "${name}": ${missing}. ${remedy}\n`);
  describe.skip(name, body);
}
