export { sqliteDataVersion } from "./data-version";
export { SqliteDirectory } from "./directory";
export { type SqliteDataVersionOptions, sqliteDataVersionInvalidation } from "./invalidation-channel";
export { openSqlite, type SqliteTokenGate } from "./open";
export { migrateSqlite } from "./schema";
export { SqliteSecurityLog } from "./security-log";
export { SqliteTokenStore, type SqliteTokenStoreOptions } from "./token-store";
