/** What only a SQLite file does: surviving a reopen, WAL mode, and processes sharing it. */
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { sha512Digester } from "@tokengate/core";
import Database from "better-sqlite3";
import { openSqlite, SqliteDirectory, SqliteTokenStore, sqliteDataVersion } from "./index";

let dir: string;
let file: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "tokengate-sqlite-"));
  file = join(dir, "tokengate.db");
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const token = (digest: string) => ({
  name: "deploy",
  digest,
  algorithm: "SHA512",
  userId: 1,
  teamId: null,
  createdAt: new Date("2025-01-01T00:00:00Z"),
  expiresAt: null,
  scopes: ["documents:read"],
});

describe("openSqlite", () => {
  it("creates its tables on first use, in WAL mode, and keeps tokens across reopening the file", async () => {
    const first = openSqlite(file);
    expect(first.db.pragma("journal_mode", { simple: true })).toBe("wal");
    const inserted = await first.store.insert(token(sha512Digester.digest("api_0123456789abcdef")));
    first.directory.upsertUser({ id: 1, name: "Ada", disabled: false });
    first.close();

    const second = openSqlite(file);
    expect(await second.store.findByDigest(inserted.digest)).toEqual(inserted);
    expect(await second.directory.findUser(1)).toEqual({ id: 1, name: "Ada", email: null, disabled: false });
    second.close();
  });

  it("store.close() closes the database it opened, and closing twice is harmless", async () => {
    const opened = openSqlite(file);
    await opened.store.close();
    expect(opened.db.open).toBe(false);
    opened.close();
    await expect(opened.store.findById(1)).rejects.toThrow(/not open/);
  });

  it("a store over a database the application owns leaves it open on close", async () => {
    const db = new Database(":memory:");
    const store = new SqliteTokenStore(db);
    const directory = new SqliteDirectory(db);
    await store.close();
    expect(db.open).toBe(true);
    directory.upsertUser({ id: 5, disabled: true });
    expect(await directory.findUser(5)).toEqual({ id: 5, name: null, email: null, disabled: true });
    db.close();
  });
});

describe("dataVersion: seeing another process's commits", () => {
  it("does not move for this connection's own writes, and moves when another process commits", async () => {
    const opened = openSqlite(file);
    const before = opened.dataVersion();
    const inserted = await opened.store.insert(token(sha512Digester.digest("api_aaaaaaaaaaaaaaaa")));
    expect(opened.dataVersion()).toBe(before);

    // A revocation made by a separate process (e.g. the CLI) sharing the file.
    execFileSync(
      process.execPath,
      [
        "-e",
        `const D = require("better-sqlite3"); const db = new D(process.argv[1]);
         db.prepare("DELETE FROM tokens WHERE id = ?").run(Number(process.argv[2])); db.close();`,
        file,
        String(inserted.id),
      ],
      { cwd: __dirname },
    );
    expect(opened.dataVersion()).not.toBe(before);
    expect(await opened.store.findById(inserted.id)).toBeNull();
    opened.close();
  });

  it("sqliteDataVersion works on any connection, and a second connection in one process counts as another", () => {
    const a = new Database(file);
    const b = new Database(file);
    new SqliteDirectory(a); // creates the tables
    const versionOfA = sqliteDataVersion(a);
    const seen = versionOfA();
    new SqliteDirectory(b).upsertUser({ id: 1, disabled: true });
    expect(versionOfA()).not.toBe(seen);
    a.close();
    b.close();
  });
});
