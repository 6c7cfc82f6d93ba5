import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type CredentialLookup, silentLogger } from "@tokengate/core";
import { sqliteDataVersionInvalidation } from "@tokengate/sqlite";
import Database from "better-sqlite3";
import { tieredCache } from "../src";

describe("tieredCache over one SQLite file shared by two processes", () => {
  const dir = mkdtempSync(join(tmpdir(), "tg-data-version-"));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  /** Two connections to one file stand for two processes: data_version cannot tell them apart. */
  function connections() {
    const file = join(dir, `${Math.random().toString(36).slice(2)}.db`);
    const writer = new Database(file);
    writer.pragma("journal_mode = WAL");
    writer.exec("CREATE TABLE tokens (digest TEXT PRIMARY KEY, id INTEGER)");
    writer.prepare("INSERT INTO tokens VALUES (?, ?)").run("a".repeat(128), 1);
    const reader = new Database(file);
    const source: CredentialLookup = {
      async lookup(digest) {
        const row = reader.prepare("SELECT id FROM tokens WHERE digest = ?").get(digest) as
          | { id: number }
          | undefined;
        if (!row) return null;
        const token = {
          id: row.id,
          name: "t",
          digest,
          algorithm: "SHA512",
          userId: 1,
          teamId: null,
          createdAt: new Date(0),
          expiresAt: null,
          lastUsedAt: null,
          scopes: [],
          replacedById: null,
        };
        return { token, actingUser: { id: 1, disabled: false }, team: null, teamOwner: null, role: null };
      },
    };
    return { writer, reader, source };
  }

  // A delete committed by the other process emptying this process's LRU before its next read is a
  // case of the CredentialCache conformance suite (tests/conformance/credential-cache.test.ts).

  it("with minIntervalMs the pragma is read at most that often, which bounds staleness", async () => {
    const { writer, reader, source } = connections();
    let now = new Date("2026-01-01T00:00:00Z");
    const cache = tieredCache({
      invalidation: sqliteDataVersionInvalidation(reader, { minIntervalMs: 100, clock: () => now }),
      clock: () => now,
      logger: silentLogger,
    })(source);
    const digest = "a".repeat(128);
    await cache.lookup(digest);
    writer.prepare("DELETE FROM tokens WHERE digest = ?").run(digest);
    // Within the interval the LRU still answers: the documented bound.
    now = new Date(now.getTime() + 50);
    expect((await cache.lookup(digest))?.token.id).toBe(1);
    now = new Date(now.getTime() + 100);
    expect(await cache.lookup(digest)).toBeNull();
    await cache.close();
    writer.close();
    reader.close();
  });
});
