/**
 * The token page in a real browser: headless Chromium against the real demo server, as a newcomer
 * would use it. Screenshots of each main state go to test-results/ui-screenshots/.
 */
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { openSqlite } from "@tokengate/sqlite";
import { describeWithChromium, launchChromium, SCREENSHOT_DIR } from "@tokengate/test-support";
import type { Browser, BrowserContext, Page } from "playwright-core";
import { type DemoServer, startDemoServer } from "./demo-server";

const ALICE = { username: "alice", password: "alice-demo" };
const BOB = { username: "bob", password: "bob-demo" };
const CAROL = { username: "carol", password: "carol-demo" };
const basic = (login: { username: string; password: string }) =>
  `Basic ${Buffer.from(`${login.username}:${login.password}`).toString("base64")}`;

let browser: Browser;
let demo: DemoServer;
const contexts: BrowserContext[] = [];

/**
 * A page in a fresh browser profile. Signed out, the browser still meets the demo's sign-in prompt
 * (HTTP Basic), which headless Chromium would wait on forever: playwright answers it with a login
 * the demo does not know, then presses Cancel when the server refuses it, as a visitor would.
 */
async function openPage(login?: { username: string; password: string }): Promise<Page> {
  const httpCredentials = login ?? { username: "visitor", password: "no-demo-login" };
  const context = await browser.newContext({ httpCredentials });
  contexts.push(context);
  const page = await context.newPage();
  await page.goto(`${demo.baseUrl}/api-tokens/ui`);
  return page;
}

const shot = (page: Page, name: string) =>
  page.screenshot({ path: join(SCREENSHOT_DIR, `${name}.png`), fullPage: true });

/** What `/api/v1/me` answers to a token, asked from outside the browser as an API client would. */
async function callMe(token: string): Promise<{ status: number; body: Record<string, unknown> }> {
  const response = await fetch(`${demo.baseUrl}/api/v1/me`, {
    headers: { authorization: `Bearer ${token}` },
  });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

async function tokenNames(login = ALICE, query = ""): Promise<string[]> {
  const response = await fetch(`${demo.baseUrl}/api-tokens${query}`, {
    headers: { authorization: basic(login) },
  });
  const { tokens } = (await response.json()) as { tokens: Array<{ name: string }> };
  return tokens.map((t) => t.name);
}

/** The row of the token with this name and status badge. */
const row = (page: Page, name: string, status = "Active") =>
  page
    .locator("#tokens-body tr")
    .filter({ hasText: name })
    .filter({ has: page.getByText(status, { exact: true }) });

describeWithChromium("the token page in headless Chromium, against the demo server", () => {
  beforeAll(async () => {
    // One after the other, so that when the browser cannot start, afterAll still stops the server
    // (a rejected Promise.all would leave it listening, and jest would never exit).
    demo = await startDemoServer();
    browser = await launchChromium();
  }, 60_000);

  afterEach(async () => {
    for (const context of contexts.splice(0)) await context.close();
  });

  afterAll(async () => {
    await browser?.close();
    await demo?.stop();
  });

  it("explains in words that a signed-out visitor must sign in (401)", async () => {
    const page = await openPage();
    await page.getByRole("heading", { name: "You are not signed in" }).waitFor();
    await expectText(page, "#signed-out-text", /not signed in.*HTTP 401.*Sign in to the application/);
    expect(await page.locator("#create").isHidden()).toBe(true);
    await shot(page, "01-signed-out");
  });

  it("creates a token, shows it once, copies it, and the token works against /api/v1/me", async () => {
    const page = await openPage(ALICE);
    await page.context().grantPermissions(["clipboard-read", "clipboard-write"], { origin: demo.baseUrl });
    await expectText(page, "#who", "Signed in as alice, managing tokens of acme.");
    await page.getByText("You have no API tokens yet").waitFor();
    await shot(page, "02-empty");

    // Keyboard only: type the name and press Enter; the other fields keep their defaults (90 days).
    await page.getByLabel("Name", { exact: true }).focus();
    await page.keyboard.type("ci-deploys");
    await page.keyboard.press("Enter");
    await page.getByRole("heading", { name: "Your new token" }).waitFor();
    const token = await page.getByLabel("Token", { exact: true }).inputValue();
    expect(token).toMatch(/^api_[0-9a-z]{16}$/);
    await expectText(page, "#reveal-intro", /It will not be shown again/);
    await shot(page, "03-token-shown-once");

    // Tab reaches Copy with a focus ring a sighted keyboard user can see.
    await page.keyboard.press("Tab");
    await page.keyboard.press("Tab");
    expect(await page.evaluate<string | undefined>("document.activeElement?.id")).toBe("copy");
    expect(await page.evaluate<string>("getComputedStyle(document.activeElement).outlineStyle")).toBe(
      "solid",
    );
    await page.keyboard.press("Enter");
    await expectText(page, "#copy-status", "Copied to the clipboard.");
    expect(await page.evaluate<string>("navigator.clipboard.readText()")).toBe(token);

    const me = await callMe(token);
    expect(me).toMatchObject({ status: 200, body: { userId: 1, teamId: null, tokenName: "ci-deploys" } });

    await page.getByRole("button", { name: "I have stored it" }).click();
    expect(await page.locator("#reveal").isHidden()).toBe(true);
    expect(await page.content()).not.toContain(token);
    const created = row(page, "ci-deploys");
    await created.waitFor();
    expect(await created.getByText("Personal", { exact: true }).isVisible()).toBe(true);

    // Last-used times are written in batches off the request path: reload until it shows.
    await expect_eventually(async () => {
      await page.reload();
      await row(page, "ci-deploys").waitFor();
      return (await row(page, "ci-deploys").locator("td").nth(5).textContent())?.trim() ?? "";
    }, "just now");
  }, 60_000);

  it("shows the server's validation error beside the name field", async () => {
    const page = await openPage(ALICE);
    await page.getByLabel("Name", { exact: true }).fill("ab");
    await page.getByRole("button", { name: "Create token" }).click();
    const error = page.locator("#token-name-error");
    await error.waitFor();
    expect(await error.textContent()).toContain("The token name should be 3 characters or longer");
    expect(await page.getByLabel("Name", { exact: true }).getAttribute("aria-invalid")).toBe("true");
    expect(await page.evaluate<string | undefined>("document.activeElement?.id")).toBe("token-name");
    await shot(page, "04-validation-error");
  });

  it("tells team tokens from personal ones, and marks an expired token", async () => {
    // The demo's SQLite directory lists alice's teams, so the page offers the ones she manages.
    const page = await openPage(ALICE);
    await page.getByLabel("Name", { exact: true }).fill("acme-ci");
    await page.getByRole("radio", { name: "Team" }).check();
    await page.getByLabel("Which team", { exact: true }).selectOption({ label: "acme" });
    await page.getByLabel("Expires").selectOption("never");
    await page.getByRole("button", { name: "Create token" }).click();
    await page.getByRole("heading", { name: "Your new token" }).waitFor();
    await page.getByRole("button", { name: "I have stored it" }).click();
    const teamRow = row(page, "acme-ci");
    await teamRow.waitFor();
    expect(await teamRow.getByText("Team: acme").isVisible()).toBe(true);
    expect(await teamRow.getByText("created by you").isVisible()).toBe(true);
    expect(await row(page, "ci-deploys").getByText("Personal", { exact: true }).isVisible()).toBe(true);

    // A token whose expiry has passed, planted in the demo's store (no clock to wind forward there).
    const sqlite = openSqlite(demo.databaseFile);
    try {
      const day = 24 * 3600 * 1000;
      await sqlite.store.insert({
        name: "old-laptop",
        digest: "0".repeat(128),
        algorithm: "SHA512",
        userId: 1,
        teamId: null,
        createdAt: new Date(Date.now() - 40 * day),
        expiresAt: new Date(Date.now() - 10 * day),
        scopes: [],
      });
    } finally {
      sqlite.close();
    }
    await page.reload();
    // The team's tokens are listed again after a reload.
    await row(page, "acme-ci").waitFor();
    const expired = row(page, "old-laptop", "Expired");
    await expired.waitFor();
    expect(await expired.locator("td").nth(3).textContent()).toMatch(/^Expired /);
    expect(await expired.getAttribute("class")).toBe("is-expired");
    await shot(page, "05-list-team-personal-expired");
  }, 60_000);

  it("rotates with a grace period, then deletes once the name is typed, and the token stops working", async () => {
    const page = await openPage(ALICE);
    await page.getByLabel("Name", { exact: true }).fill("rotate-me");
    await page.getByRole("button", { name: "Create token" }).click();
    await page.getByRole("heading", { name: "Your new token" }).waitFor();
    const first = await page.getByLabel("Token", { exact: true }).inputValue();
    await page.getByRole("button", { name: "I have stored it" }).click();

    await row(page, "rotate-me").getByRole("button", { name: "Rotate rotate-me" }).click();
    const rotateDialog = page.getByRole("dialog", { name: /Rotate/ });
    await rotateDialog.waitFor();
    await page.getByLabel("Keep the old token working for").selectOption("3600");
    await shot(page, "06-rotate-dialog");
    await rotateDialog.getByRole("button", { name: "Rotate", exact: true }).click();
    await page.getByRole("heading", { name: "Your rotated token" }).waitFor();
    const second = await page.getByLabel("Token", { exact: true }).inputValue();
    expect(second).not.toBe(first);
    await expectText(page, "#reveal-grace", /keeps working until/);
    await shot(page, "07-rotated-token-shown-once");
    await page.getByRole("button", { name: "I have stored it" }).click();

    // Both work during the grace period; the old one is marked as replaced.
    expect((await callMe(first)).status).toBe(200);
    expect((await callMe(second)).status).toBe(200);
    await row(page, "rotate-me", "Replaced").waitFor();

    await row(page, "rotate-me", "Active").getByRole("button", { name: "Delete rotate-me" }).click();
    const deleteDialog = page.getByRole("dialog", { name: /Delete/ });
    await deleteDialog.waitFor();
    const confirm = deleteDialog.getByRole("button", { name: "Delete token" });
    await page.getByLabel("Type the token's name to confirm").fill("rotate-m");
    expect(await confirm.isDisabled()).toBe(true);
    await page.getByLabel("Type the token's name to confirm").fill("rotate-me");
    expect(await confirm.isEnabled()).toBe(true);
    await shot(page, "08-delete-confirm");
    await page.keyboard.press("Enter");
    await expectText(page, "#status", /deleted\. Anything still using it is now refused/);
    expect(await row(page, "rotate-me", "Active").count()).toBe(0);
    expect(await callMe(second)).toMatchObject({ status: 401, body: { error: "invalid_token" } });
    await shot(page, "09-after-delete");
  }, 60_000);

  it("shows a token's history: created, used, rotated, revoked, with who, where from and which client, as text", async () => {
    // A user agent that would be markup if the page wrote it as HTML.
    const userAgent = '<b id="injected">ua</b> Walker/1.0';
    const context = await browser.newContext({ httpCredentials: ALICE, userAgent });
    contexts.push(context);
    const page = await context.newPage();
    await page.goto(`${demo.baseUrl}/api-tokens/ui`);
    await page.getByLabel("Name", { exact: true }).fill("walk-me");
    await page.getByRole("button", { name: "Create token" }).click();
    await page.getByRole("heading", { name: "Your new token" }).waitFor();
    const first = await page.getByLabel("Token", { exact: true }).inputValue();
    await page.getByRole("button", { name: "I have stored it" }).click();
    expect((await callMe(first)).status).toBe(200);

    await row(page, "walk-me").getByRole("button", { name: "History of walk-me" }).click();
    await page.getByRole("heading", { name: "History of “walk-me”" }).waitFor();
    const events = page.locator("#history-body tr");
    await expect_eventually(async () => (await events.allTextContents()).length.toString(), "1");
    const created = events.first();
    expect(await created.locator("td").allTextContents()).toEqual([
      "Created",
      expect.any(String),
      "you",
      "127.0.0.1",
      userAgent,
    ]);
    expect(await page.locator("#injected").count()).toBe(0);

    // Rotate it: the open history gains "Rotated"; the old token still works in its grace period.
    await row(page, "walk-me").getByRole("button", { name: "Rotate walk-me" }).click();
    await page.getByLabel("Keep the old token working for").selectOption("3600");
    await page
      .getByRole("dialog", { name: /Rotate/ })
      .getByRole("button", { name: "Rotate", exact: true })
      .click();
    await page.getByRole("heading", { name: "Your rotated token" }).waitFor();
    await page.getByRole("button", { name: "I have stored it" }).click();
    expect((await callMe(first)).status).toBe(200);
    await expectText(page, "#history-body tr:first-child td:first-child", "Rotated");

    // Revoke the old one: its history, still open, ends "Revoked", newest first.
    await row(page, "walk-me", "Replaced").getByRole("button", { name: "Delete walk-me" }).click();
    await page.getByLabel("Type the token's name to confirm").fill("walk-me");
    await page.getByRole("button", { name: "Delete token" }).click();
    await expectText(page, "#status", /deleted\. Anything still using it is now refused/);
    expect(await callMe(first)).toMatchObject({ status: 401, body: { error: "invalid_token" } });
    await expect_eventually(
      async () => (await page.locator("#history-body tr td:first-child").allTextContents()).join(", "),
      "Revoked, Rotated, Created",
    );
    expect(await page.locator("#injected").count()).toBe(0);
    await shot(page, "12-token-history");

    // The successor's history begins with its own creation.
    await row(page, "walk-me").getByRole("button", { name: "History of walk-me" }).click();
    await expect_eventually(
      async () => (await page.locator("#history-body tr td:first-child").allTextContents()).join(", "),
      "Created",
    );
  }, 60_000);

  it("offers team tokens only to a team's admins, and explains a refusal (403) in words", async () => {
    // bob is a MEMBER of acme: the page offers him personal tokens only, and says why.
    const bobPage = await openPage(BOB);
    await expectText(bobPage, "#who", "Signed in as bob.");
    expect(await bobPage.getByRole("radio", { name: "Team" }).isVisible()).toBe(false);
    expect(await bobPage.locator("#owner-hint").textContent()).toMatch(
      /Team tokens can be created by a team's admins/,
    );
    // carol's account is disabled: the server refuses her, and the page says so in words.
    const page = await openPage(CAROL);
    await expectText(page, "#signed-out-heading", "You cannot manage tokens here");
    await expectText(
      page,
      "#signed-out-text",
      /not allowed to do that \(HTTP 403\): Your account is disabled/,
    );
    expect(await tokenNames(BOB)).toEqual([]);
    await shot(page, "10-forbidden");
  });

  it("shows a loading state, then explains an outage (503) without claiming there are no tokens", async () => {
    // The browser holds the list call, then answers it as an unreachable store would.
    let release: () => void = () => {};
    const held = new Promise<void>((done) => {
      release = done;
    });
    const context = await browser.newContext({ httpCredentials: ALICE });
    contexts.push(context);
    const page = await context.newPage();
    await page.route(/\/api-tokens$/, async (route) => {
      await held;
      await route.fulfill({
        status: 503,
        headers: { "content-type": "application/json", "retry-after": "5" },
        body: JSON.stringify({
          error: "store_unavailable",
          message: "Authentication is temporarily unavailable",
        }),
      });
    });
    await page.goto(`${demo.baseUrl}/api-tokens/ui`);
    await page.getByText("Loading tokens…").waitFor();
    expect(await page.locator("#list").getAttribute("aria-busy")).toBe("true");
    await shot(page, "00-loading");
    release();
    await expectText(
      page,
      "#alert",
      /unavailable right now \(HTTP 503\), so nothing was changed\. Try again in 5 seconds/,
    );
    expect(await page.getByText("You have no API tokens yet").isHidden()).toBe(true);
    await shot(page, "11-outage");
  });

  it("refuses a cross-origin POST sent from a page on another port (CSRF)", async () => {
    const attacker = await serveAttackerPage(
      `<form id="f" method="POST" enctype="text/plain" action="${demo.baseUrl}/api-tokens">
        <input type="hidden" name='{"tokenName":"csrf-attack","x":"' value='"}'></form>
       <script>document.getElementById("f").submit()</script>`,
    );
    try {
      // Signed in first, so the browser holds alice's credentials for the demo's origin.
      const page = await openPage(ALICE);
      await expectText(page, "#who", "Signed in as alice, managing tokens of acme.");
      const answered = page.waitForResponse((r) => r.request().method() === "POST");
      await page.goto(attacker.url);
      const response = await answered;
      expect(response.status()).toBe(403);
      expect(await response.json()).toMatchObject({ error: "csrf_rejected" });
      expect(await tokenNames()).not.toContain("csrf-attack");
    } finally {
      await attacker.close();
    }
  });

  // The page on the other two adapters, each reading Origin and Host its own way.
  for (const framework of ["express", "koa"] as const) {
    it(`creates, lists and deletes a token through the ${framework} adapter`, async () => {
      const server = await startDemoServer(framework);
      const context = await browser.newContext({ httpCredentials: ALICE });
      try {
        const page = await context.newPage();
        await page.goto(`${server.baseUrl}/api-tokens/ui`);
        await expectText(page, "#who", "Signed in as alice, managing tokens of acme.");
        await page.getByLabel("Name", { exact: true }).fill(`${framework}-token`);
        await page.getByRole("button", { name: "Create token" }).click();
        await page.getByRole("heading", { name: "Your new token" }).waitFor();
        await page.getByRole("button", { name: "I have stored it" }).click();
        await row(page, `${framework}-token`).getByRole("button", { name: "Delete" }).click();
        await page.getByLabel("Type the token's name to confirm").fill(`${framework}-token`);
        await page.getByRole("button", { name: "Delete token" }).click();
        await page.getByText("You have no API tokens yet").waitFor();
      } finally {
        await context.close();
        await server.stop();
      }
    }, 60_000);
  }
});

async function expectText(page: Page, selector: string, expected: string | RegExp): Promise<void> {
  const locator = page.locator(selector);
  await expect_eventually(
    async () => ((await locator.textContent()) ?? "").replace(/\s+/g, " ").trim(),
    expected,
  );
}

/** Polls `read` until it matches, for state that arrives asynchronously (no fixed sleeps). */
async function expect_eventually(read: () => Promise<string>, expected: string | RegExp, timeoutMs = 15_000) {
  const deadline = Date.now() + timeoutMs;
  let last = "";
  while (Date.now() < deadline) {
    last = await read();
    if (typeof expected === "string" ? last === expected : expected.test(last)) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  expect(last).toEqual(expected instanceof RegExp ? expect.stringMatching(expected) : expected);
}

async function serveAttackerPage(html: string): Promise<{ url: string; close: () => Promise<void> }> {
  const server: Server = createServer((_req, res) => {
    res.writeHead(200, { "content-type": "text/html; charset=utf-8" });
    res.end(`<!doctype html><html><body>${html}</body></html>`);
  });
  await new Promise<void>((done) => server.listen(0, "127.0.0.1", done));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/`,
    close: () =>
      new Promise<void>((done) => {
        server.closeAllConnections();
        server.close(() => done());
      }),
  };
}
