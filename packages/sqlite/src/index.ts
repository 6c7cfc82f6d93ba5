/**
 * @tokengate/sqlite: the embedded default. A token store, directory and security log in one SQLite
 * file (`openSqlite`), and the data_version probe that tells processes sharing it of a change.
 */
export { sqliteDataVersion } from "./data-version";
export { SqliteDirectory } from "./directory";
export { type SqliteDataVersionOptions, sqliteDataVersionInvalidation } from "./invalidation-channel";
export { openSqlite, type SqliteTokenGate } from "./open";
export { migrateSqlite } from "./schema";
export { SqliteSecurityLog } from "./security-log";
export { SqliteTokenStore, type SqliteTokenStoreOptions } from "./token-store";
