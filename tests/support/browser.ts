/**
 * Debian's Chromium, driven by playwright-core, for the browser tests. When it is missing the
 * suites skip with one loud line, except under CI=true, where they fail: `.ci/run` installs it.
 */
import { existsSync, mkdirSync } from "node:fs";
import { resolve } from "node:path";
import { type Browser, chromium } from "playwright-core";
import { describeWhenAvailable } from "./gated";

export const CHROMIUM_PATH = process.env.TOKENGATE_CHROMIUM ?? "/usr/bin/chromium";

/** Where the tests write screenshots of each main state: git-ignored, never committed. */
export const SCREENSHOT_DIR = resolve(__dirname, "../../test-results/ui-screenshots");

/** Headless Chromium with a fresh, empty profile (playwright makes one per launch) and no phoning home. */
export function launchChromium(): Promise<Browser> {
  mkdirSync(SCREENSHOT_DIR, { recursive: true });
  return chromium.launch({
    executablePath: CHROMIUM_PATH,
    headless: true,
    args: [
      "--headless",
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
    ],
  });
}

/**
 * `describe` for a suite that needs Chromium. Without it: under CI=true the suite fails with the
 * reason; elsewhere it is skipped as a whole (its hooks never launch a browser) after one loud line
 * saying how to install it. `npm test` installs it first where it can (scripts/bootstrap.sh).
 */
export function describeWithChromium(name: string, body: () => void): void {
  const why = existsSync(CHROMIUM_PATH) ? undefined : `Chromium not found at ${CHROMIUM_PATH}`;
  describeWhenAvailable(name, why, "Install it: apt-get install -y chromium", body);
}
