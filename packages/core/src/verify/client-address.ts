/**
 * Who the client is, for limits on failed attempts and for the security log: the socket's peer, or
 * behind proxies the application trusts (`trustedProxies`), the nearest untrusted X-Forwarded-For hop.
 */
import { BlockList, isIP } from "node:net";

/**
 * The proxies whose `X-Forwarded-For` the application believes: addresses or CIDR ranges, e.g.
 * `["10.0.0.0/8", "::1"]`. Compiled once, when the gate's options are read.
 */
export class TrustedProxies {
  readonly #list = new BlockList();

  constructor(entries: readonly string[]) {
    if (!Array.isArray(entries))
      throw new TypeError("trustedProxies must be an array of addresses or CIDR ranges");
    for (const entry of entries) {
      const [address = "", prefix, extra] = String(entry).trim().split("/");
      const family = isIP(address);
      const bits = prefix === undefined ? undefined : Number(prefix);
      const max = family === 6 ? 128 : 32;
      if (
        family === 0 ||
        extra !== undefined ||
        (bits !== undefined && (!/^\d{1,3}$/.test(prefix!) || bits > max))
      ) {
        throw new TypeError(`trustedProxies: not an address or CIDR range: ${JSON.stringify(entry)}`);
      }
      const type = family === 6 ? "ipv6" : "ipv4";
      if (bits === undefined) this.#list.addAddress(address, type);
      else this.#list.addSubnet(address, bits, type);
    }
  }

  /** Whether the address is listed; `::ffff:10.0.0.1` (a dual-stack socket's peer) is `10.0.0.1`. */
  has(address: string): boolean {
    const plain = normalize(address);
    const family = isIP(plain);
    return family !== 0 && this.#list.check(plain, family === 6 ? "ipv6" : "ipv4");
  }
}

/** `::ffff:192.0.2.1` (IPv4 on a dual-stack socket) and `192.0.2.1` are one client. */
function normalize(address: string): string {
  const trimmed = address.trim();
  const mapped = /^::ffff:(\d{1,3}(?:\.\d{1,3}){3})$/i.exec(trimmed);
  return mapped ? mapped[1]! : trimmed;
}

/**
 * The client's address: the socket's, unless the socket's peer is a trusted proxy, in which case
 * `X-Forwarded-For` is read from the right, skipping trusted proxies, and the first address that
 * is not one is the client. Entries left of it were written by the client and prove nothing, and
 * an unparsable entry stops the walk at the last hop that could be believed.
 */
export function clientAddressFrom(
  socketAddress: string | undefined,
  forwardedFor: string | readonly string[] | null | undefined,
  trustedProxies: TrustedProxies | undefined,
): string | undefined {
  if (socketAddress === undefined || socketAddress === "") return undefined;
  let current = normalize(socketAddress);
  if (!trustedProxies || !forwardedFor || !trustedProxies.has(current)) return current;
  const hops = (typeof forwardedFor === "string" ? forwardedFor : forwardedFor.join(",")).split(",");
  for (let i = hops.length - 1; i >= 0; i--) {
    const hop = normalize(hops[i]!);
    if (hop === "") continue;
    if (isIP(hop) === 0) return current;
    current = hop;
    if (!trustedProxies.has(hop)) return hop;
  }
  return current;
}
