import type { CredentialCacheFactory, Logger } from "@tokengate/core";
import { UsageError } from "./usage-error";

/** A cache factory for `createTokenGate`, and what to close after the gate has closed. */
export interface OpenedCache {
  readonly factory: CredentialCacheFactory;
  close(): Promise<void>;
}

/** Connects the `--redis` cache. */
export async function openRedisCache(_url: string, _logger: Logger): Promise<OpenedCache> {
  throw new UsageError("--redis: the Redis cache is not available yet");
}
