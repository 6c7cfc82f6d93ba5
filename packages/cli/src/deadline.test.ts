/**
 * The last line of defence of the 10 s bound: whatever a command waits on, the deadline ends it
 * with a message naming the command, and a command that finishes in time is untouched.
 */

import { withinDeadline } from "./deadline";
import { CommandFailure } from "./usage-error";

describe("withinDeadline", () => {
  it("fails a command that never finishes once the deadline passes, naming it", async () => {
    const started = performance.now();
    const never = new Promise<void>(() => {});
    const outcome = withinDeadline("tokengate token list", 50, () => never);
    await expect(outcome).rejects.toThrow(CommandFailure);
    await expect(outcome).rejects.toThrow(/^tokengate token list did not finish within 0\.1 s: /);
    expect(performance.now() - started).toBeLessThan(1_000);
  });

  it("passes a result, or a failure, through when the command ends in time", async () => {
    await expect(withinDeadline("x", 1_000, async () => 42)).resolves.toBe(42);
    await expect(
      withinDeadline("x", 1_000, async () => {
        throw new CommandFailure("token 7 not found");
      }),
    ).rejects.toThrow("token 7 not found");
  });
});
