/**
 * The logger port, its console and silent implementations, and `OnceLog`, which reports an outage
 * when it starts and when it ends rather than on every request that meets it.
 */

/** Where tokengate reports trouble. Messages carry no token and no digest. */
export interface Logger {
  warn(message: string, meta?: Record<string, unknown>): void;
  error(message: string, meta?: Record<string, unknown>): void;
  info?(message: string, meta?: Record<string, unknown>): void;
}

export const consoleLogger: Logger = {
  warn: (message, meta) => console.warn(`[tokengate] ${message}`, meta ?? ""),
  error: (message, meta) => console.error(`[tokengate] ${message}`, meta ?? ""),
  info: (message, meta) => console.info(`[tokengate] ${message}`, meta ?? ""),
};

export const silentLogger: Logger = { warn() {}, error() {} };

/**
 * Logs a condition once when it starts and once when it ends, not on every request that meets it.
 */
export class OnceLog {
  readonly #logger: Logger;
  readonly #what: string;
  #active = false;

  constructor(logger: Logger, what: string) {
    this.#logger = logger;
    this.#what = what;
  }

  fail(cause: unknown): void {
    if (this.#active) return;
    this.#active = true;
    this.#logger.error(`${this.#what}: unavailable`, { cause: describeCause(cause) });
  }

  recover(): void {
    if (!this.#active) return;
    this.#active = false;
    this.#logger.warn(`${this.#what}: recovered`);
  }

  get failing(): boolean {
    return this.#active;
  }
}

/** The message of an error, for logs: never the error object, which might carry query parameters. */
export function describeCause(cause: unknown): string {
  if (cause instanceof Error) return `${cause.name}: ${cause.message}`;
  return String(cause);
}
