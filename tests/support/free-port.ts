/**
 * A TCP port on 127.0.0.1 that nothing listens on: the kernel picked it for a server that closed a
 * moment ago. For a test that starts a server of its own there, or needs a port that refuses.
 */
import { createServer } from "node:net";

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      server.close(() => resolve(typeof address === "object" && address ? address.port : 0));
    });
  });
}
