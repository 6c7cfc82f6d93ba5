/**
 * The rate-limit family's public names (see README.md here): the limiters, the limit store
 * interface and its memory and Redis implementations, and the policy types.
 */
export { FailedAuthLimiter, type FailedAuthLimiterOptions } from "./failure-limiter";
export type { LimitState } from "./gcra";
export type { HeaderPolicy } from "./headers";
export type { ApplyOptions, LimitCheck, LimitOutcome, LimitStore, TokenUsage } from "./limit-store";
export { MemoryLimitStore } from "./memory-store";
export { MONTHLY_POLICY, type RateLimitWindow, type TeamLimits } from "./policy";
export { type RedisErrorPolicy, RedisLimitStore, type RedisLimitStoreOptions } from "./redis-store";
export { TokenRateLimiter, type TokenRateLimiterOptions } from "./token-limiter";
