/**
 * Issue 12 item 7, over a real socket on each framework: a client that declares a body and then
 * sends it a byte at a time, or declares one far too large, must not hold the connection until
 * Node's own timeout. The admin router answers 408 (or 413) with `Connection: close` and the
 * connection closes. The deadline is injected (`bodyTimeoutMs`) so the test takes a second.
 */
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { connect } from "node:net";
import { NODE_APPS, SESSION_HEADER } from "./harnesses";
import { createWorld, expectNoSecretLeaks, USERS, type World } from "./world";

const DEADLINE_MS = 300;

interface RawExchange {
  /** Everything the server wrote, as text. */
  readonly response: string;
  /** Milliseconds from the first byte sent to the server closing the connection. */
  readonly closedAfterMs: number;
}

/**
 * Sends the head of a request, then one byte of body every `dribbleMs` until the server closes
 * the connection (or `giveUpMs` passes, which fails the test).
 */
function dribble(port: number, head: string, dribbleMs: number, giveUpMs = 5_000): Promise<RawExchange> {
  return new Promise((resolve, reject) => {
    const started = Date.now();
    const socket = connect(port, "127.0.0.1");
    let response = "";
    const drip = setInterval(() => {
      if (socket.writable) socket.write("a");
    }, dribbleMs);
    const giveUp = setTimeout(() => {
      socket.destroy();
      reject(new Error(`the server held the connection for ${giveUpMs} ms; it answered: ${response}`));
    }, giveUpMs);
    socket.setEncoding("utf8");
    socket.on("data", (chunk: string) => {
      response += chunk;
    });
    // Writing into a socket the server has closed fails; the close below is what counts.
    socket.on("error", () => undefined);
    socket.on("close", () => {
      clearInterval(drip);
      clearTimeout(giveUp);
      resolve({ response, closedAfterMs: Date.now() - started });
    });
    socket.write(head);
  });
}

function requestHead(method: string, path: string, headers: Record<string, string>): string {
  const lines = [`${method} ${path} HTTP/1.1`, "host: 127.0.0.1"];
  for (const [name, value] of Object.entries(headers)) lines.push(`${name}: ${value}`);
  return `${lines.join("\r\n")}\r\n\r\n`;
}

/** The status line and the JSON body of a raw HTTP/1.1 answer. */
function parse(response: string): { status: number; headers: string; body: unknown } {
  const [head = "", body = ""] = response.split("\r\n\r\n");
  const status = Number(/^HTTP\/1\.1 (\d{3})/.exec(head)?.[1]);
  // The body may come chunked: the JSON object is the part between the outer braces.
  const json = /\{.*\}/s.exec(body)?.[0];
  return { status, headers: head.toLowerCase(), body: json ? JSON.parse(json) : undefined };
}

describe.each(NODE_APPS)("a slow or lying body on $name", ({ listener }) => {
  let world: World;
  let server: Server;
  let port: number;

  beforeEach(async () => {
    world = createWorld({ adminSettings: { bodyTimeoutMs: DEADLINE_MS } });
    server = createServer(listener(world));
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    port = (server.address() as AddressInfo).port;
  });

  afterEach(async () => {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
    expectNoSecretLeaks(world);
  });

  const signedIn = { [SESSION_HEADER]: String(USERS.alice), "content-type": "application/json" };

  it.each([
    ["create", "POST", "/api-tokens"],
    ["rotate", "POST", "/api-tokens/1/rotate"],
  ])(
    "%s: a body sent a byte at a time is 408 with Connection: close, then the connection closes",
    async (_label, method, path) => {
      const { response, closedAfterMs } = await dribble(
        port,
        requestHead(method, path, { ...signedIn, "content-length": "1000" }),
        50,
      );
      const answer = parse(response);
      expect(answer.status).toBe(408);
      expect(answer.headers).toContain("connection: close");
      expect(answer.body).toMatchObject({ error: "request_timeout" });
      expect(closedAfterMs).toBeGreaterThanOrEqual(DEADLINE_MS - 20);
      expect(closedAfterMs).toBeLessThan(DEADLINE_MS + 2_000);
      const listed = await world.gate.service.list({ kind: "user", userId: USERS.alice });
      expect(listed.ok && listed.value).toEqual([]);
    },
  );

  it("a declared Content-Length of 99999999 is 413 at once, then the connection closes", async () => {
    const { response, closedAfterMs } = await dribble(
      port,
      requestHead("POST", "/api-tokens", { ...signedIn, "content-length": "99999999" }),
      50,
    );
    const answer = parse(response);
    expect(answer.status).toBe(413);
    expect(answer.headers).toContain("connection: close");
    expect(answer.body).toMatchObject({ error: "payload_too_large" });
    expect(closedAfterMs).toBeLessThan(DEADLINE_MS + 1_000);
  });

  it("a chunked body that never ends is 408 too, whoever sends it", async () => {
    const { response } = await dribble(
      port,
      `${requestHead("POST", "/api-tokens", { "content-type": "application/json", "transfer-encoding": "chunked" })}1\r\n{\r\n`,
      1_000,
    );
    const answer = parse(response);
    expect(answer.status).toBe(408);
    expect(answer.headers).toContain("connection: close");
  });
});
