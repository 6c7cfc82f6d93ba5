import { createTokenGate } from "../gate";
import { MemoryDirectory, MemoryTokenStore } from "../implementations/memory";
import { TrustedProxies } from "../verify/client-address";
import { type CrossSitePolicy, isCrossOriginRequest, TrustedOrigins } from "./cross-site";

/** The header each field of a case stands for: the check asks for headers by name. */
const HEADER_FIELDS = {
  origin: "origin",
  host: "host",
  "sec-fetch-site": "secFetchSite",
  "x-forwarded-proto": "forwardedProto",
  "x-forwarded-host": "forwardedHost",
} as const;

/** A request as these cases write it: the connection, and one field per header. */
type Sent = { readonly scheme: "http" | "https"; readonly peerAddress?: string | undefined } & {
  readonly [field in (typeof HEADER_FIELDS)[keyof typeof HEADER_FIELDS]]?: string | undefined;
};

const isCrossOrigin = (sent: Sent, policy?: CrossSitePolicy) =>
  isCrossOriginRequest(
    {
      scheme: sent.scheme,
      peerAddress: sent.peerAddress,
      header: (name) => {
        const field = HEADER_FIELDS[name as keyof typeof HEADER_FIELDS];
        return field === undefined ? undefined : sent[field];
      },
    },
    policy,
  );

const PLAIN = { scheme: "http", host: "127.0.0.1:4101" } as const;

describe("the whole origin is compared: scheme, host and port", () => {
  it.each<[string, boolean, Sent]>([
    // Issue 12 item 2: the plain-http demo took an https Origin for its own.
    ["an https Origin on a plain-http server", true, { ...PLAIN, origin: "https://127.0.0.1:4101" }],
    [
      "an http Origin on a TLS server",
      true,
      { scheme: "https", host: "app.example", origin: "http://app.example" },
    ],
    ["the same scheme, host and port", false, { ...PLAIN, origin: "http://127.0.0.1:4101" }],
    ["another port", true, { ...PLAIN, origin: "http://127.0.0.1:4102" }],
    ["another host", true, { ...PLAIN, origin: "http://localhost:4101" }],
    [
      "a default port written out",
      false,
      { scheme: "https", host: "app.example", origin: "https://app.example:443" },
    ],
    [
      "a default port in Host",
      false,
      { scheme: "http", host: "app.example:80", origin: "http://app.example" },
    ],
    ["case in the Origin", false, { scheme: "http", host: "app.example", origin: "HTTP://App.Example" }],
    ["an IPv6 host", false, { scheme: "http", host: "[::1]:3000", origin: "http://[::1]:3000" }],
  ])("%s → cross-origin: %s", (_label, cross, request) => {
    expect(isCrossOrigin(request)).toBe(cross);
  });

  it.each([
    ["empty", ""],
    ["only spaces", "   "],
    ["null (a sandboxed frame)", "null"],
    ["two origins joined", "http://127.0.0.1:4101, http://127.0.0.1:4101"],
    ["with a path", "http://127.0.0.1:4101/page"],
    ["with user info", "http://user@127.0.0.1:4101"],
    ["another scheme", "file:///etc/passwd"],
    ["not a URL", "127.0.0.1:4101"],
  ])("an Origin that is %s is refused", (_label, origin) => {
    expect(isCrossOrigin({ ...PLAIN, origin })).toBe(true);
  });

  it.each([
    ["missing", undefined],
    ["empty", ""],
    ["with a path", "127.0.0.1:4101/x"],
    ["with user info", "evil@127.0.0.1:4101"],
    ["two hosts", "127.0.0.1:4101, evil.example"],
  ])("a Host that is %s names no origin, so any Origin is refused", (_label, host) => {
    expect(isCrossOrigin({ scheme: "http", host, origin: "http://127.0.0.1:4101" })).toBe(true);
  });

  it("lets through clients that are not browsers, and browsers saying same-origin or none", () => {
    expect(isCrossOrigin(PLAIN)).toBe(false);
    expect(isCrossOrigin({ ...PLAIN, secFetchSite: "none" })).toBe(false);
    expect(isCrossOrigin({ ...PLAIN, secFetchSite: "same-origin" })).toBe(false);
    expect(isCrossOrigin({ ...PLAIN, secFetchSite: "same-site" })).toBe(true);
    expect(isCrossOrigin({ ...PLAIN, secFetchSite: "cross-site" })).toBe(true);
  });
});

describe("behind a proxy", () => {
  const trustedProxies = new TrustedProxies(["10.0.0.0/8"]);
  const behindProxy: Sent = {
    scheme: "http",
    host: "app-internal:3000",
    peerAddress: "10.1.2.3",
    forwardedProto: "https",
    forwardedHost: "tokens.example",
    origin: "https://tokens.example",
  };

  it("takes X-Forwarded-Proto and X-Forwarded-Host from a trusted proxy", () => {
    expect(isCrossOrigin(behindProxy, { trustedProxies })).toBe(false);
    // A dual-stack socket reports an IPv4 peer as ::ffff:a.b.c.d.
    expect(isCrossOrigin({ ...behindProxy, peerAddress: "::ffff:10.1.2.3" }, { trustedProxies })).toBe(false);
    expect(
      isCrossOrigin({ ...behindProxy, forwardedHost: undefined, host: "tokens.example" }, { trustedProxies }),
    ).toBe(false);
  });

  it("reads the value nearest the browser when proxies appended theirs", () => {
    const chained = {
      ...behindProxy,
      forwardedProto: "https, http",
      forwardedHost: "tokens.example, app-internal:3000",
    };
    expect(isCrossOrigin(chained, { trustedProxies })).toBe(false);
  });

  it("ignores X-Forwarded-* from a peer that is not a trusted proxy, or with no proxies configured", () => {
    expect(isCrossOrigin({ ...behindProxy, peerAddress: "203.0.113.9" }, { trustedProxies })).toBe(true);
    expect(isCrossOrigin({ ...behindProxy, peerAddress: undefined }, { trustedProxies })).toBe(true);
    expect(isCrossOrigin(behindProxy)).toBe(true);
  });

  it("still compares the scheme the proxy reports", () => {
    expect(isCrossOrigin({ ...behindProxy, forwardedProto: "http" }, { trustedProxies })).toBe(true);
    expect(isCrossOrigin({ ...behindProxy, forwardedProto: "gopher" }, { trustedProxies })).toBe(true);
  });
});

describe("trustedOrigins", () => {
  const policy: CrossSitePolicy = {
    trustedOrigins: new TrustedOrigins(["https://admin.example", "http://localhost:5173/"]),
  };

  it("lets a listed origin through, even when the browser says same-site or cross-site", () => {
    const api = { scheme: "https", host: "api.example" } as const;
    expect(
      isCrossOrigin({ ...api, origin: "https://admin.example", secFetchSite: "same-site" }, policy),
    ).toBe(false);
    expect(
      isCrossOrigin({ ...api, origin: "http://localhost:5173", secFetchSite: "cross-site" }, policy),
    ).toBe(false);
  });

  it("still refuses an origin that is not listed, or a listed host on another scheme or port", () => {
    const api = { scheme: "https", host: "api.example" } as const;
    for (const origin of ["https://evil.example", "http://admin.example", "https://admin.example:8443", ""]) {
      expect(isCrossOrigin({ ...api, origin }, policy)).toBe(true);
    }
  });

  it.each([
    ["a path", "https://admin.example/app"],
    ["another scheme", "ftp://admin.example"],
    ["a wildcard", "*"],
    ["null", "null"],
    ["a host without a scheme", "admin.example"],
    ["a number", 42],
  ])("refuses %s as an entry with a TypeError naming the option", (_label, entry) => {
    expect(() => new TrustedOrigins([entry as string])).toThrow(/^trustedOrigins: /);
    expect(() =>
      createTokenGate({
        store: new MemoryTokenStore(),
        directory: new MemoryDirectory(),
        usageFlushIntervalMs: false,
        trustedOrigins: [entry as string],
      }),
    ).toThrow(TypeError);
  });

  it("refuses a value that is not a list", () => {
    expect(() => new TrustedOrigins("https://admin.example" as unknown as string[])).toThrow(
      /trustedOrigins/,
    );
  });
});
