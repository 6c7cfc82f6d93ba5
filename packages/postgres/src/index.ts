/**
 * @tokengate/postgres: the PostgreSQL token store, directory and security log in tokengate's own
 * tables (`migrate`), and Documenso mode over Documenso's own tables (`openDocumenso`).
 */
export { PostgresDirectory } from "./directory";
export { DOCUMENSO_TEAM_TOKEN_ROLES, DocumensoDirectory } from "./documenso/directory";
export { type DocumensoReport, type DocumensoSample, inspectDocumenso } from "./documenso/inspect";
export {
  DOCUMENSO_COLUMNS,
  type DocumensoLayout,
  DocumensoSchemaError,
  detectDocumensoLayout,
} from "./documenso/layout";
export { type OpenedDocumenso, openDocumenso } from "./documenso/open";
export { type DocumensoOptions, DocumensoTokenStore } from "./documenso/token-store";
export { type PostgresInvalidationOptions, postgresInvalidation } from "./invalidation-channel";
export { DEFAULT_SCHEMA, migrate, migrateSecurityLog, type PostgresSchemaOptions } from "./migrate";
export { PostgresSecurityLog, type PostgresSecurityLogOptions } from "./security-log";
export { DuplicateDigestError } from "./sql";
export { type PostgresStoreOptions, PostgresTokenStore } from "./token-store";
