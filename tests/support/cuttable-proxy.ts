/**
 * A TCP proxy on a free loopback port in front of a shared service (Redis, PostgreSQL), which a test
 * can cut and restore. Cutting it is, for the clients behind it, the service going away: every open
 * connection drops and new ones are refused. The shared server itself is never touched, so other
 * suites running at the same time do not notice.
 */
import { once } from "node:events";
import { type AddressInfo, connect, createServer, type Server, type Socket } from "node:net";

export interface CuttableProxy {
  /** host:port of the proxy, to put in a client's URL or options in place of the service's. */
  readonly host: string;
  readonly port: number;
  /** Drops every connection and refuses new ones until `restore()`. */
  cut(): Promise<void>;
  /** Accepts connections again, on the same port. */
  restore(): Promise<void>;
  /** Cuts for good. */
  close(): Promise<void>;
}

export async function startCuttableProxy(target: { host: string; port: number }): Promise<CuttableProxy> {
  const sockets = new Set<Socket>();
  let server: Server | undefined;
  let port = 0;

  async function listen(): Promise<void> {
    const s = createServer((client) => {
      const upstream = connect(target.port, target.host);
      sockets.add(client).add(upstream);
      const end = () => {
        client.destroy();
        upstream.destroy();
        sockets.delete(client);
        sockets.delete(upstream);
      };
      client.on("error", end).on("close", end);
      upstream.on("error", end).on("close", end);
      client.pipe(upstream).pipe(client);
    });
    s.listen(port, "127.0.0.1");
    await once(s, "listening");
    port = (s.address() as AddressInfo).port;
    server = s;
  }

  async function cut(): Promise<void> {
    const s = server;
    server = undefined;
    for (const socket of sockets) socket.destroy();
    sockets.clear();
    if (s) await new Promise<void>((resolve) => s.close(() => resolve()));
  }

  await listen();
  return {
    host: "127.0.0.1",
    get port() {
      return port;
    },
    cut,
    async restore() {
      if (!server) await listen();
    },
    close: cut,
  };
}
