/**
 * Token formats: how a plain token is generated and how its shape is checked before any hashing or
 * I/O. Documenso's `api_` + 16 characters is the default; the checksum format is opt-in.
 */
import { randomBytes } from "node:crypto";

/** How plain tokens look: how to mint one, and a cheap shape check run before any lookup. */
export interface TokenFormat {
  readonly name: string;
  generate(): string;
  /** True when `token` could have been minted by this format. Never touches storage. */
  matches(token: string): boolean;
}

const LOWER_ALNUM = "0123456789abcdefghijklmnopqrstuvwxyz";
const BASE62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

/**
 * Draws `length` characters from `alphabet` with crypto randomness. Bytes at or above the largest
 * multiple of the alphabet size are thrown away (rejection sampling), so no character is likelier
 * than another: a plain `byte % size` would favour the first `256 % size` characters.
 */
export function randomString(alphabet: string, length: number): string {
  const size = alphabet.length;
  const limit = 256 - (256 % size);
  let out = "";
  while (out.length < length) {
    const bytes = randomBytes(length * 2);
    for (let i = 0; i < bytes.length && out.length < length; i++) {
      const b = bytes[i]!;
      if (b < limit) out += alphabet[b % size];
    }
  }
  return out;
}

const DOCUMENSO_SHAPE = /^api_[0-9a-z]{16}$/;

/**
 * Documenso's format: `api_` + 16 characters of `[0-9a-z]` (its `alphaid(16)`). The default, so
 * tokens Documenso issued keep working.
 */
export const documensoTokenFormat: TokenFormat = {
  name: "documenso",
  generate: () => `api_${randomString(LOWER_ALNUM, 16)}`,
  matches: (token) => token.length === 20 && DOCUMENSO_SHAPE.test(token),
};

function base62(n: number, width: number): string {
  let out = "";
  let v = n >>> 0;
  for (let i = 0; i < width; i++) {
    out = BASE62[v % 62] + out;
    v = Math.floor(v / 62);
  }
  return out;
}

// CRC-32 (IEEE 802.3, the polynomial zlib and GitHub's token checksums use). Computed here rather
// than with `zlib.crc32`, which only exists from Node 20.15: the packages support Node 20.12.
const CRC_TABLE = Int32Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c;
});

/** The CRC-32 of a string's UTF-8 bytes, as an unsigned 32-bit number (what `zlib.crc32` returns). */
export function crc32(text: string): number {
  let crc = -1;
  for (const byte of Buffer.from(text, "utf8")) crc = CRC_TABLE[(crc ^ byte) & 0xff]! ^ (crc >>> 8);
  return (crc ^ -1) >>> 0;
}

/**
 * The opt-in stronger format: a prefix, 30 base62 characters (178 bits) and a 6-character CRC32
 * checksum, as GitHub's tokens carry. A typo or a guessed token fails the checksum and is refused
 * without a lookup, and secret scanners can match the prefix and verify the checksum exactly.
 *
 * @example
 * const format = checksumTokenFormat({ prefix: "acme_" });
 * format.generate(); // "acme_3kQ…(30)…Xy01Ab"
 */
export function checksumTokenFormat(options: { prefix?: string } = {}): TokenFormat {
  const prefix = options.prefix ?? "tgk_";
  if (!/^[a-z][a-z0-9]{1,9}_$/.test(prefix)) {
    throw new TypeError(
      "checksumTokenFormat: prefix must be 2-10 lowercase letters or digits followed by '_'",
    );
  }
  const total = prefix.length + 36;
  const shape = new RegExp(`^${prefix}[0-9A-Za-z]{36}$`);
  const checksum = (body: string) => base62(crc32(body), 6);
  return {
    name: `checksum:${prefix}`,
    generate() {
      const body = randomString(BASE62, 30);
      return `${prefix}${body}${checksum(body)}`;
    },
    matches(token) {
      if (token.length !== total || !shape.test(token)) return false;
      const body = token.slice(prefix.length, prefix.length + 30);
      return token.endsWith(checksum(body));
    },
  };
}
