import { randomBytes } from "node:crypto";
import * as zlib from "node:zlib";
import { checksumTokenFormat, crc32, documensoTokenFormat, randomString } from "./token-format";

const LOWER_ALNUM = "0123456789abcdefghijklmnopqrstuvwxyz";
const BASE62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

/** Pearson's chi-square statistic of `text` against a uniform draw from `alphabet`. */
function chiSquare(text: string, alphabet: string): { statistic: number; counts: Map<string, number> } {
  const counts = new Map<string, number>([...alphabet].map((c) => [c, 0]));
  for (const c of text) counts.set(c, (counts.get(c) ?? 0) + 1);
  const expected = text.length / alphabet.length;
  let statistic = 0;
  for (const observed of counts.values()) statistic += (observed - expected) ** 2 / expected;
  return { statistic, counts };
}

// 35 degrees of freedom: the statistic averages 35 (sd 8.4) for a fair draw, and exceeds 100 with
// probability below 1e-7, so the test does not flake. A `byte % 36` draw favours "0".."3" by 8/7
// and over 360k characters lands near 700 (the last test below shows the bound catches it).
const DRAWS = 360_000;
const BOUND = 100;

describe("documensoTokenFormat", () => {
  it("mints api_ plus 16 characters of [0-9a-z], as Documenso's alphaid(16)", () => {
    for (let i = 0; i < 1000; i++) {
      const token = documensoTokenFormat.generate();
      expect(token).toMatch(/^api_[0-9a-z]{16}$/);
      expect(documensoTokenFormat.matches(token)).toBe(true);
    }
  });

  it("never mints the same token twice in many draws", () => {
    const seen = new Set<string>();
    for (let i = 0; i < 20_000; i++) seen.add(documensoTokenFormat.generate());
    expect(seen.size).toBe(20_000);
  });

  it.each([
    ["the right shape", "api_0123456789abcdef", true],
    ["a Documenso-issued token", "api_k2j4h5g6f7d8s9a0", true],
    ["one character short", "api_0123456789abcde", false],
    ["one character long", "api_0123456789abcdef0", false],
    ["uppercase body", "api_0123456789ABCDEF", false],
    ["uppercase prefix", "API_0123456789abcdef", false],
    ["another prefix", "apx_0123456789abcdef", false],
    ["no prefix", "0123456789abcdef0123", false],
    ["a dash in the body", "api_0123456789abcde-", false],
    ["a trailing newline", "api_0123456789abcdef\n", false],
    ["empty", "", false],
  ])("matches: %s (%j) → %s", (_name, token, expected) => {
    expect(documensoTokenFormat.matches(token)).toBe(expected);
  });

  it("draws every one of the 36 characters, uniformly (chi-square over 360k characters)", () => {
    const bodies: string[] = [];
    for (let i = 0; i < DRAWS / 16; i++) bodies.push(documensoTokenFormat.generate().slice(4));
    const { statistic, counts } = chiSquare(bodies.join(""), LOWER_ALNUM);
    expect([...counts.values()].every((n) => n > 0)).toBe(true);
    expect(counts.size).toBe(36);
    expect(statistic).toBeLessThan(BOUND);
  });

  it("the uniformity bound catches a modulo-biased draw", () => {
    // The naive generator this format must not be: byte % 36 over-draws the first 256 % 36 = 4.
    const bytes = randomBytes(DRAWS);
    let biased = "";
    for (const b of bytes) biased += LOWER_ALNUM[b % 36];
    expect(chiSquare(biased, LOWER_ALNUM).statistic).toBeGreaterThan(BOUND);
  });
});

describe("randomString", () => {
  it("returns exactly the length asked for, from the alphabet only", () => {
    for (const length of [0, 1, 16, 30, 257]) {
      const s = randomString(LOWER_ALNUM, length);
      expect(s).toHaveLength(length);
      expect(s).toMatch(/^[0-9a-z]*$/);
    }
  });

  it("is uniform over a 62-character alphabet too (61 df, bound 150)", () => {
    // 61 df: mean 61, sd 11; above 150 with probability below 1e-10. 256 % 62 = 8 would show.
    const { statistic } = chiSquare(randomString(BASE62, 620_000), BASE62);
    expect(statistic).toBeLessThan(150);
  });
});

describe("checksumTokenFormat", () => {
  const format = checksumTokenFormat({ prefix: "acme_" });

  it("mints prefix + 30 base62 + 6 checksum characters that it then accepts", () => {
    for (let i = 0; i < 1000; i++) {
      const token = format.generate();
      expect(token).toMatch(/^acme_[0-9A-Za-z]{36}$/);
      expect(format.matches(token)).toBe(true);
    }
  });

  it("defaults to the tgk_ prefix and names itself by it", () => {
    const defaults = checksumTokenFormat();
    expect(defaults.generate()).toMatch(/^tgk_[0-9A-Za-z]{36}$/);
    expect(defaults.name).toBe("checksum:tgk_");
    expect(format.name).toBe("checksum:acme_");
  });

  it("refuses every one-character change, at every position of body and checksum", () => {
    for (let round = 0; round < 5; round++) {
      const token = format.generate();
      for (let i = "acme_".length; i < token.length; i++) {
        for (const replacement of BASE62) {
          if (replacement === token[i]) continue;
          const typo = token.slice(0, i) + replacement + token.slice(i + 1);
          expect(format.matches(typo)).toBe(false);
        }
      }
    }
  });

  it("refuses two swapped adjacent characters", () => {
    let checked = 0;
    while (checked < 200) {
      const token = format.generate();
      const i = 5 + (checked % 35);
      if (token[i] === token[i + 1]) continue;
      const swapped = token.slice(0, i) + token[i + 1] + token[i] + token.slice(i + 2);
      expect(format.matches(swapped)).toBe(false);
      checked++;
    }
  });

  it("refuses other prefixes, lengths and Documenso tokens without a lookup", () => {
    const token = format.generate();
    expect(format.matches(`tgk_${token.slice(5)}`)).toBe(false);
    expect(format.matches(token.slice(0, -1))).toBe(false);
    expect(format.matches(`${token}0`)).toBe(false);
    expect(format.matches(`${token.slice(0, 10)}-${token.slice(11)}`)).toBe(false);
    expect(format.matches(documensoTokenFormat.generate())).toBe(false);
    expect(documensoTokenFormat.matches(token)).toBe(false);
  });

  it.each([["ACME_"], ["acme"], ["a_"], ["acme-"], ["abcdefghijk_"], ["1abc_"], ["ac.me_"]])(
    "refuses the prefix %j when configured",
    (prefix) => {
      expect(() => checksumTokenFormat({ prefix })).toThrow(TypeError);
    },
  );
});

describe("crc32 (the checksum format's own, for Node 20.12 where zlib has none)", () => {
  it("agrees with zlib.crc32 on the standard check value and on random text", () => {
    expect(crc32("123456789")).toBe(0xcbf43926);
    expect(crc32("")).toBe(0);
    const zlibCrc = (zlib as { crc32?: (data: string) => number }).crc32;
    if (!zlibCrc) {
      console.warn("zlib.crc32 is missing on this Node version: only the check value was compared");
      return;
    }
    for (let i = 0; i < 200; i++) {
      const text = randomBytes(i).toString("latin1") + "é✓";
      expect(crc32(text)).toBe(zlibCrc(text));
    }
  });
});
