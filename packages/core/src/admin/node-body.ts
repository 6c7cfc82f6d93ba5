/**
 * Reading the admin router's request bodies, with a size limit and a deadline: from a Node request
 * (Express, Koa) and from a Fetch `ReadableStream` (Hono). A body that is too large, or that does
 * not arrive in time, is given up on, and the router's answer closes the connection (see
 * `AdminBody`): an attacker who declares `Content-Length: 99999999` and sends a byte a second
 * holds nothing for longer than the deadline.
 */
import type { IncomingHttpHeaders } from "node:http";
import type { Readable } from "node:stream";
import type { AdminBody } from "./admin";

/** The `Content-Length` a request declares, when it declares one. */
function declaredLength(headers: IncomingHttpHeaders | undefined): number | undefined {
  const value = headers?.["content-length"];
  if (value === undefined || !/^[0-9]+$/.test(value)) return undefined;
  return Number(value);
}

const ABSENT: AdminBody = { kind: "absent" };
const TOO_LARGE: AdminBody = { kind: "too_large" };
const TIMED_OUT: AdminBody = { kind: "timed_out" };

function textBody(chunks: readonly Uint8Array[], size: number): AdminBody {
  if (size === 0) return ABSENT;
  return { kind: "text", text: Buffer.concat(chunks, size).toString("utf8") };
}

/**
 * Reads a Node request body as UTF-8 text, up to `limit` bytes and for at most `timeoutMs`. For
 * the Express and Koa adapters when the application has not parsed the body already. A declared
 * length over the limit is refused before a byte is read; past the limit or the deadline it stops
 * keeping what arrives and lets the rest drain while the answer is written.
 *
 * @example
 * const body = await readNodeBody(req, ADMIN_BODY_LIMIT, 10_000);
 * if (body.kind === "text") JSON.parse(body.text);
 */
export function readNodeBody(
  stream: Readable & { readonly headers?: IncomingHttpHeaders },
  limit: number,
  timeoutMs?: number,
): Promise<AdminBody> {
  const declared = declaredLength(stream.headers);
  if (declared !== undefined && declared > limit) return Promise.resolve(TOO_LARGE);
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const finish = (body: AdminBody) => {
      clearTimeout(timer);
      stream.off("data", onData);
      stream.off("end", onEnd);
      stream.off("error", onError);
      // Whatever is still coming is read and dropped, not left in the socket, so the connection
      // closes cleanly after the answer rather than being reset.
      if (body === TOO_LARGE || body === TIMED_OUT) stream.resume();
      resolve(body);
    };
    const onData = (chunk: Buffer | string) => {
      const buf = typeof chunk === "string" ? Buffer.from(chunk) : chunk;
      size += buf.length;
      if (size > limit) finish(TOO_LARGE);
      else chunks.push(buf);
    };
    const onEnd = () => finish(textBody(chunks, size));
    const onError = (error: unknown) => {
      clearTimeout(timer);
      reject(error);
    };
    const timer = timeoutMs === undefined ? undefined : setTimeout(() => finish(TIMED_OUT), timeoutMs);
    stream.on("data", onData);
    stream.once("end", onEnd);
    stream.once("error", onError);
  });
}

/**
 * Reads a Fetch request body (`request.body`) as UTF-8 text, up to `limit` bytes and for at most
 * `timeoutMs`. For the Hono adapter. Giving up does not cancel the stream: under
 * `@hono/node-server` that would destroy the socket before the answer is written.
 *
 * @param declared the request's `Content-Length` header, refused at once when over the limit.
 */
export async function readWebBody(
  body: ReadableStream<Uint8Array> | null,
  limit: number,
  timeoutMs: number,
  declared?: string | null,
): Promise<AdminBody> {
  if (body === null) return ABSENT;
  const length = declared == null ? undefined : declaredLength({ "content-length": declared });
  if (length !== undefined && length > limit) return TOO_LARGE;
  const reader = body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const deadline = new Promise<"timed_out">((resolve) => {
    timer = setTimeout(() => resolve("timed_out"), timeoutMs);
  });
  try {
    for (;;) {
      const read = reader.read();
      const next = await Promise.race([read, deadline]);
      if (next === "timed_out") {
        // The read stays pending until the connection closes; its failure then is expected.
        read.catch(() => undefined);
        return TIMED_OUT;
      }
      if (next.done) return textBody(chunks, size);
      size += next.value.byteLength;
      if (size > limit) return TOO_LARGE;
      chunks.push(next.value);
    }
  } finally {
    clearTimeout(timer);
  }
}
