/**
 * Closing the Redis connections tokengate opened itself. `quit()` is the polite way (pending
 * replies arrive first), but ioredis rejects it at once on a connection that is not ready, and that
 * connection then goes on reconnecting forever, keeping the process alive. So: QUIT when ready,
 * and `disconnect()` (which also stops reconnecting) when not, or when QUIT fails.
 */
import type { RedisClient } from "./redis-client";

export async function closeConnection(connection: RedisClient): Promise<void> {
  if (connection.status === "end") return;
  if (connection.status === "ready") {
    try {
      await connection.quit();
      return;
    } catch {
      // Fall through: the connection dropped while quitting.
    }
  }
  connection.disconnect(false);
}
