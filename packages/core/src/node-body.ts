import type { Readable } from "node:stream";
import type { AdminBody } from "./admin";

/**
 * Reads a Node request body as UTF-8 text, up to `limit` bytes. For the Express and Koa adapters
 * when the application has not parsed the body already. Past the limit it keeps draining (without
 * keeping) so the connection stays usable for the 413 answer.
 */
export function readNodeBody(stream: Readable, limit: number): Promise<AdminBody> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    stream.on("data", (chunk: Buffer | string) => {
      const buf = typeof chunk === "string" ? Buffer.from(chunk) : chunk;
      size += buf.length;
      if (size <= limit) chunks.push(buf);
    });
    stream.once("error", reject);
    stream.once("end", () => {
      if (size > limit) resolve({ kind: "too_large" });
      else if (size === 0) resolve({ kind: "absent" });
      else resolve({ kind: "text", text: Buffer.concat(chunks).toString("utf8") });
    });
  });
}
