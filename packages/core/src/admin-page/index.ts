export type { AdminSession } from "./answers";
export { type CrossSitePolicy, isCrossOriginRequest, type RequestOrigin, TrustedOrigins } from "./cross-site";
