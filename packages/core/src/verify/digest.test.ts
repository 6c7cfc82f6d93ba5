import { createHash, createHmac } from "node:crypto";
import { hmacDigester, sha512Digester } from "./digest";

// Documenso's hashString (packages/lib/server-only/auth/hash.ts): createHash('sha512') hex.
const documensoHashString = (input: string) => createHash("sha512").update(input).digest("hex");

describe("sha512Digester", () => {
  it("records its algorithm as SHA512, as Documenso's rows do", () => {
    expect(sha512Digester.algorithm).toBe("SHA512");
  });

  it.each([
    // FIPS 180-2 appendix C.1.
    [
      "abc",
      "ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a2192992a274fc1a836ba3c23a3feebbd454d4423643ce80e2a9ac94fa54ca49f",
    ],
    // The empty string.
    [
      "",
      "cf83e1357eefb8bdf1542850d66d8007d620e4050b5715dc83f4a921d36ce9ce47d0d13c5d85f2b0ff8318d2877eec2f63b931bd47417a81a538327af927da3e",
    ],
  ])("digests %j to the published vector", (input, hex) => {
    expect(sha512Digester.digest(input)).toBe(hex);
  });

  it.each([["api_0123456789abcdef"], ["api_k2j4h5g6f7d8s9a0"], ["tgk_AbC123"], ["ünïcödé"]])(
    "matches Documenso's hashString byte for byte for %j",
    (token) => {
      const digest = sha512Digester.digest(token);
      expect(digest).toBe(documensoHashString(token));
      expect(digest).toMatch(/^[0-9a-f]{128}$/);
    },
  );
});

describe("hmacDigester", () => {
  const secret = "s".repeat(32);

  it("names its algorithm with the key id, so a row says which key made it", () => {
    expect(hmacDigester({ keyId: "2025-01", secret }).algorithm).toBe("HMAC-SHA256:2025-01");
  });

  it("computes HMAC-SHA-256 of the token with the secret (RFC 4231 test case 6)", () => {
    const key = Buffer.alloc(131, 0xaa);
    const digester = hmacDigester({ keyId: "rfc", secret: key });
    expect(digester.digest("Test Using Larger Than Block-Size Key - Hash Key First")).toBe(
      "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54",
    );
  });

  it("gives different digests for different secrets and differs from plain SHA-512", () => {
    const token = "api_0123456789abcdef";
    const a = hmacDigester({ keyId: "a", secret }).digest(token);
    const b = hmacDigester({ keyId: "b", secret: "t".repeat(32) }).digest(token);
    expect(a).toBe(createHmac("sha256", secret).update(token).digest("hex"));
    expect(a).not.toBe(b);
    expect(a).not.toBe(sha512Digester.digest(token));
  });

  it("accepts a 32-byte secret given as a string or a Buffer, and the two agree", () => {
    const fromString = hmacDigester({ keyId: "k", secret });
    const fromBuffer = hmacDigester({ keyId: "k", secret: Buffer.from(secret) });
    expect(fromString.digest("x")).toBe(fromBuffer.digest("x"));
  });

  it("counts the secret in bytes, not characters", () => {
    // 16 two-byte characters are 32 bytes of UTF-8.
    expect(() => hmacDigester({ keyId: "k", secret: "é".repeat(16) })).not.toThrow();
    expect(() => hmacDigester({ keyId: "k", secret: "é".repeat(15) })).toThrow(/at least 32 bytes/);
  });

  it.each([[""], ["s".repeat(31)], [Buffer.alloc(31)]])("refuses a secret shorter than 32 bytes", (short) => {
    expect(() => hmacDigester({ keyId: "k", secret: short })).toThrow(/at least 32 bytes/);
  });

  it.each([[""], ["a".repeat(33)], ["key id"], ["key:1"], ["ключ"], ["a/b"]])(
    "refuses the key id %j",
    (keyId) => {
      expect(() => hmacDigester({ keyId, secret })).toThrow(/keyId/);
    },
  );

  it.each([["a"], ["2025-01"], ["k.v_2"], ["A".repeat(32)]])("accepts the key id %j", (keyId) => {
    expect(() => hmacDigester({ keyId, secret })).not.toThrow();
  });

  it("never puts the secret in its error messages", () => {
    const almost = "super-secret-value-0123456789";
    expect(() => hmacDigester({ keyId: "k", secret: almost })).toThrow(
      expect.objectContaining({ message: expect.not.stringContaining(almost) }),
    );
  });
});
