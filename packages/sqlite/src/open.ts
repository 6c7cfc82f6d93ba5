/** `openSqlite`: one SQLite file opened with tokengate's tables, its store, directory and log. */
import Database from "better-sqlite3";
import { sqliteDataVersion } from "./data-version";
import { SqliteDirectory } from "./directory";
import { migrateSqlite } from "./schema";
import { SqliteSecurityLog } from "./security-log";
import { SqliteTokenStore } from "./token-store";

/** What `openSqlite` returns: a store and a directory over one database connection. */
export interface SqliteTokenGate {
  readonly store: SqliteTokenStore;
  readonly directory: SqliteDirectory;
  /** The token security log, in the same file: pass it as `createTokenGate`'s `securityLog`. */
  readonly securityLog: SqliteSecurityLog;
  readonly db: Database.Database;
  /** `PRAGMA data_version` of this connection: see `sqliteDataVersion`. */
  dataVersion(): number;
  /** Closes the database. `store.close()` does the same; calling both is fine. */
  close(): void;
}

/**
 * Opens (or creates) a SQLite file with tokengate's tables: the embedded default, zero setup.
 * `":memory:"` gives a private in-memory database, gone when closed.
 *
 * @example
 * const { store, directory, securityLog, close } = openSqlite("tokengate.db");
 * const gate = createTokenGate({ store, directory, securityLog });
 */
export function openSqlite(filename: string): SqliteTokenGate {
  const db = new Database(filename);
  try {
    migrateSqlite(db);
    const store = new SqliteTokenStore(db, { closeDatabase: true });
    const directory = new SqliteDirectory(db);
    const securityLog = new SqliteSecurityLog(db);
    const dataVersion = sqliteDataVersion(db);
    return {
      store,
      directory,
      securityLog,
      db,
      dataVersion,
      close: () => {
        if (db.open) db.close();
      },
    };
  } catch (error) {
    db.close();
    throw error;
  }
}
