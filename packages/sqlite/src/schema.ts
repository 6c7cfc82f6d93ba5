/** tokengate's SQLite tables and `migrateSqlite`, which creates them on first use. */
import type { Database } from "better-sqlite3";

/**
 * The tables, created on first use. Times are integer milliseconds since the epoch: exact for a JS
 * `Date`, and they sort as numbers. `scopes` is a JSON array of strings.
 *
 * There are no foreign keys from `tokens` to `users`/`teams`: an application may pair the store with
 * its own `Directory`, in which case these two tables stay empty.
 *
 * `security_events` is the token security log (issue 14). It has no foreign key to `tokens` either:
 * a revoked token's history outlives its row. AUTOINCREMENT, so an id is never reused after a
 * prune and the log's paging cursor (an id) stays a fixed point.
 */
const SCHEMA = `
CREATE TABLE IF NOT EXISTS tokens (
  id             INTEGER PRIMARY KEY AUTOINCREMENT,
  name           TEXT    NOT NULL,
  digest         TEXT    NOT NULL UNIQUE,
  algorithm      TEXT    NOT NULL,
  user_id        INTEGER,
  team_id        INTEGER,
  created_at     INTEGER NOT NULL,
  expires_at     INTEGER,
  last_used_at   INTEGER,
  scopes         TEXT    NOT NULL DEFAULT '[]',
  replaced_by_id INTEGER
);
CREATE INDEX IF NOT EXISTS tokens_personal ON tokens (user_id, created_at) WHERE team_id IS NULL;
CREATE INDEX IF NOT EXISTS tokens_team ON tokens (team_id, created_at);
CREATE TABLE IF NOT EXISTS users (
  id       INTEGER PRIMARY KEY,
  name     TEXT,
  email    TEXT,
  disabled INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE IF NOT EXISTS teams (
  id            INTEGER PRIMARY KEY,
  name          TEXT,
  owner_user_id INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS security_events (
  id             INTEGER PRIMARY KEY AUTOINCREMENT,
  type           TEXT    NOT NULL,
  at             INTEGER NOT NULL,
  actor_user_id  INTEGER,
  token_id       INTEGER,
  token_name     TEXT,
  team_id        INTEGER,
  owner_user_id  INTEGER,
  client_address TEXT,
  user_agent     TEXT,
  count          INTEGER NOT NULL DEFAULT 1
);
CREATE INDEX IF NOT EXISTS security_events_team_at ON security_events (team_id, at, id);
CREATE INDEX IF NOT EXISTS security_events_token_at ON security_events (token_id, at, id);
CREATE INDEX IF NOT EXISTS security_events_personal_at ON security_events (owner_user_id, at, id) WHERE team_id IS NULL;
CREATE INDEX IF NOT EXISTS security_events_at ON security_events (at);
CREATE TABLE IF NOT EXISTS memberships (
  team_id INTEGER NOT NULL,
  user_id INTEGER NOT NULL,
  role    TEXT    NOT NULL CHECK (role IN ('ADMIN', 'MANAGER', 'MEMBER')),
  PRIMARY KEY (team_id, user_id)
) WITHOUT ROWID;
`;

const migrated = new WeakSet<Database>();

/**
 * Creates tokengate's tables if they are missing and sets the connection up: WAL, so readers never
 * wait for the writer and several processes can share the file; `synchronous = NORMAL`, which is
 * crash-safe under WAL; a busy timeout, so a second process waits for a write lock instead of
 * failing at once. Idempotent; the store and the directory both call it.
 */
export function migrateSqlite(db: Database): void {
  if (migrated.has(db)) return;
  if (!db.memory && !db.readonly) db.pragma("journal_mode = WAL");
  db.pragma("synchronous = NORMAL");
  db.pragma("busy_timeout = 5000");
  if (!db.readonly) db.exec(SCHEMA);
  migrated.add(db);
}
