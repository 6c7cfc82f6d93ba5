export type { AdminSession } from "./answers";
export { isCrossOriginRequest, type RequestOrigin } from "./cross-site";
