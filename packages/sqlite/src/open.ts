import Database from "better-sqlite3";
import { sqliteDataVersion } from "./data-version";
import { SqliteDirectory } from "./directory";
import { migrateSqlite } from "./schema";
import { SqliteTokenStore } from "./token-store";

/** What `openSqlite` returns: a store and a directory over one database connection. */
export interface SqliteTokenGate {
  readonly store: SqliteTokenStore;
  readonly directory: SqliteDirectory;
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
 * const { store, directory, close } = openSqlite("tokengate.db");
 */
export function openSqlite(filename: string): SqliteTokenGate {
  const db = new Database(filename);
  try {
    migrateSqlite(db);
    const store = new SqliteTokenStore(db, { closeDatabase: true });
    const directory = new SqliteDirectory(db);
    const dataVersion = sqliteDataVersion(db);
    return {
      store,
      directory,
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
