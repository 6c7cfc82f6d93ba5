/**
 * How long the CLI waits on anything. Every command except `serve` ends within
 * `COMMAND_DEADLINE_MS`, whatever Redis and PostgreSQL do: each wait is bounded on its own (a
 * connection, a query, Redis's first answer), and the whole command is raced against the deadline
 * as the guarantee. The README states these numbers; change them together.
 */
import { CommandFailure } from "./usage-error";

/** Redis must accept the connection and answer within this, or the command says it is away. */
export const REDIS_WAIT_MS = 3_000;
/** PostgreSQL must accept a connection (TCP, TLS and authentication) within this. */
export const POSTGRES_CONNECT_MS = 3_000;
/** One PostgreSQL query of a one-shot command may take this long. */
export const POSTGRES_QUERY_MS = 3_000;
/** The most any command but `serve` takes, from start to exit. */
export const COMMAND_DEADLINE_MS = 10_000;

/** `ms` as people write it in messages: `3 s`, `2.5 s`. */
export function seconds(ms: number): string {
  return `${Math.round(ms / 100) / 10} s`;
}

/**
 * Runs `work`, or fails with a `CommandFailure` naming the command once `ms` have passed. The work
 * is not cancelled (a promise cannot be): the caller exits, which ends it.
 */
export async function withinDeadline<T>(command: string, ms: number, work: () => Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const expired = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () =>
        reject(
          new CommandFailure(
            `${command} did not finish within ${seconds(ms)}: a store or Redis accepted the connection but stopped answering. It may or may not have taken effect; check with token list`,
          ),
        ),
      ms,
    );
  });
  try {
    return await Promise.race([work(), expired]);
  } finally {
    clearTimeout(timer);
  }
}
