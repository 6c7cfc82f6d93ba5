/**
 * Token digests, the only form a token is stored in: SHA-512 hex (Documenso's, the default) and HMAC
 * with a server secret. The verifier looks a digest up; the service stores one at creation.
 */
import * as crypto from "node:crypto";

/** Turns a plain token into the value stored and looked up. The plain token is never stored. */
export interface TokenDigester {
  /** Recorded on each row, so a deployment can tell which digester made it. */
  readonly algorithm: string;
  digest(token: string): string;
}

// crypto.hash (Node >= 20.12) skips the Hash object: about twice as fast for one short input.
const oneShot = (crypto as { hash?: (alg: string, data: string, enc: "hex") => string }).hash;

/**
 * SHA-512 of the whole token, lowercase hex: byte for byte what Documenso stores in
 * `ApiToken.token`, so rows it wrote verify unchanged. A token carries 82+ bits of entropy, so a
 * fast unsalted hash is right here (as for GitHub's tokens); passwords would need a slow one.
 */
export const sha512Digester: TokenDigester = {
  algorithm: "SHA512",
  digest: oneShot
    ? (token) => oneShot("sha512", token, "hex")
    : (token) => crypto.createHash("sha512").update(token).digest("hex"),
};

/**
 * HMAC-SHA-256 with a server secret (a pepper): a stolen table of digests is useless without the
 * secret. The key id is part of the algorithm name recorded on each row; to rotate the secret,
 * issue with the new key and keep verifying with both (`createTokenGate({ digesters: [newKey, oldKey] })`).
 */
export function hmacDigester(options: { keyId: string; secret: string | Buffer }): TokenDigester {
  if (!/^[A-Za-z0-9._-]{1,32}$/.test(options.keyId)) {
    throw new TypeError("hmacDigester: keyId must be 1-32 characters of [A-Za-z0-9._-]");
  }
  if (Buffer.byteLength(options.secret) < 32) {
    throw new TypeError("hmacDigester: secret must be at least 32 bytes");
  }
  const key = crypto.createSecretKey(Buffer.from(options.secret));
  return {
    algorithm: `HMAC-SHA256:${options.keyId}`,
    digest: (token) => crypto.createHmac("sha256", key).update(token).digest("hex"),
  };
}
