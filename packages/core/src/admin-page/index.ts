export type { AdminPageFiles, AdminSession } from "./answers";
export { type CrossSitePolicy, isCrossOriginRequest, type RequestOrigin, TrustedOrigins } from "./cross-site";
