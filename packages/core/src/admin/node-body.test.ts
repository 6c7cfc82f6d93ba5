import type { IncomingHttpHeaders } from "node:http";
import { PassThrough } from "node:stream";
import { ADMIN_BODY_LIMIT } from "./admin";
import { readNodeBody, readWebBody } from "./node-body";

/** A request body stream with the headers Node would give it. */
function nodeRequest(headers: IncomingHttpHeaders = {}) {
  return Object.assign(new PassThrough(), { headers });
}

/** A Fetch body the test feeds by hand. */
function webBody() {
  let controller!: ReadableStreamDefaultController<Uint8Array>;
  const body = new ReadableStream<Uint8Array>({
    start(c) {
      controller = c;
    },
  });
  return {
    body,
    push: (text: string) => controller.enqueue(Buffer.from(text)),
    end: () => controller.close(),
  };
}

describe("readNodeBody", () => {
  it("reads the whole body as text, and an empty one as absent", async () => {
    const req = nodeRequest();
    const read = readNodeBody(req, ADMIN_BODY_LIMIT, 1_000);
    req.write('{"tokenName":');
    req.end('"ci"}');
    expect(await read).toEqual({ kind: "text", text: '{"tokenName":"ci"}' });
    const empty = nodeRequest();
    const none = readNodeBody(empty, ADMIN_BODY_LIMIT, 1_000);
    empty.end();
    expect(await none).toEqual({ kind: "absent" });
  });

  it("refuses a declared length over the limit before reading anything", async () => {
    const req = nodeRequest({ "content-length": "99999999" });
    expect(await readNodeBody(req, ADMIN_BODY_LIMIT, 1_000)).toEqual({ kind: "too_large" });
    expect(req.listenerCount("data")).toBe(0);
  });

  it("gives up past the limit, and keeps draining what still comes", async () => {
    const req = nodeRequest();
    const read = readNodeBody(req, 10, 1_000);
    req.write("0123456789abc");
    expect(await read).toEqual({ kind: "too_large" });
    expect(req.readableFlowing).toBe(true);
    expect(req.listenerCount("data")).toBe(0);
  });

  it("gives up when the body does not arrive before the deadline", async () => {
    const req = nodeRequest({ "content-length": "1000" });
    const started = Date.now();
    const read = readNodeBody(req, ADMIN_BODY_LIMIT, 100);
    req.write("{");
    expect(await read).toEqual({ kind: "timed_out" });
    expect(Date.now() - started).toBeGreaterThanOrEqual(90);
    expect(req.listenerCount("data")).toBe(0);
  });
});

describe("readWebBody", () => {
  it("reads the whole body as text, and no body as absent", async () => {
    const { body, push, end } = webBody();
    const read = readWebBody(body, ADMIN_BODY_LIMIT, 1_000);
    push('{"tokenName":');
    push('"ci"}');
    end();
    expect(await read).toEqual({ kind: "text", text: '{"tokenName":"ci"}' });
    expect(await readWebBody(null, ADMIN_BODY_LIMIT, 1_000)).toEqual({ kind: "absent" });
  });

  it("refuses a declared length over the limit without locking the stream", async () => {
    const { body } = webBody();
    expect(await readWebBody(body, ADMIN_BODY_LIMIT, 1_000, "99999999")).toEqual({ kind: "too_large" });
    expect(body.locked).toBe(false);
  });

  it("gives up past the limit, and when the body does not arrive before the deadline", async () => {
    const large = webBody();
    const read = readWebBody(large.body, 10, 1_000);
    large.push("0123456789abc");
    expect(await read).toEqual({ kind: "too_large" });

    const slow = webBody();
    const started = Date.now();
    const late = readWebBody(slow.body, ADMIN_BODY_LIMIT, 100, "1000");
    slow.push("{");
    expect(await late).toEqual({ kind: "timed_out" });
    expect(Date.now() - started).toBeGreaterThanOrEqual(90);
  });
});
