export { PostgresDirectory } from "./directory";
export {
  DocumensoDirectory,
  type DocumensoDirectoryOptions,
  type DocumensoOptions,
  DocumensoTokenStore,
} from "./documenso";
export { DEFAULT_SCHEMA, migrate, type PostgresSchemaOptions } from "./migrate";
export { DuplicateDigestError } from "./sql";
export { type PostgresStoreOptions, PostgresTokenStore } from "./token-store";
