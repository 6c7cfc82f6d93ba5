/**
 * The generators of the fuzz suite, and the oracle each answer is held to. The oracles are written
 * from DESIGN.md and issue 12, not from the zod schemas: where they and the router disagree, one
 * of them is wrong, and the property fails with the input that shows it.
 */
import fc from "fast-check";

export const MAX_ID = 2_147_483_647;

/** How many cases a property runs. The files' counts add up to more than 10 000 per run. */
export const runs = (count: number): fc.Parameters<unknown> => {
  const seed = process.env.TOKENGATE_FUZZ_SEED;
  return { numRuns: count, ...(seed ? { seed: Number(seed) } : {}) };
};

// ---------------------------------------------------------------------------------------------
// Characters: the ones that matter to a parser or a name, mixed into ordinary ones.

/** Characters that change how a name reads, or that are not characters at all. */
const SPOOFING = [
  "\u202A",
  "\u202B",
  "\u202C",
  "\u202D",
  "\u202E",
  "\u2066",
  "\u2067",
  "\u2068",
  "\u2069",
  "\u200E",
  "\u200F",
  "\u061C",
  "\u200B",
  "\u200C",
  "\u200D",
  "\u2060",
  "\uFEFF",
  "\u00AD",
  "\uD800",
  "\uDBFF",
  "\uDC00",
  "\uDFFF",
];
const CONTROLS = [
  "\u0000",
  "\u0007",
  "\t",
  "\n",
  "\r",
  "\u001B",
  "\u007F",
  "\u0085",
  "\u009F",
  "\u2028",
  "\u2029",
];
const PLAIN = [..."abcXYZ09 -_.:/é日ßØ", "🔑", "👩‍💻", "\u00A0", "\u3000"];

/** One "character" (sometimes two code units): mostly plain, often hostile. */
const nameChar = fc.oneof(
  { weight: 6, arbitrary: fc.constantFrom(...PLAIN) },
  { weight: 1, arbitrary: fc.constantFrom(...SPOOFING) },
  { weight: 1, arbitrary: fc.constantFrom(...CONTROLS) },
  { weight: 1, arbitrary: fc.string({ unit: "binary", minLength: 1, maxLength: 1 }) },
);

/** A token name, from empty to well past 100 characters. */
export const tokenNameText = fc.oneof(
  fc.array(nameChar, { maxLength: 12 }).map((chars) => chars.join("")),
  fc.array(nameChar, { minLength: 90, maxLength: 110 }).map((chars) => chars.join("")),
  fc.string({ unit: "binary", maxLength: 40 }),
  fc.string({ unit: "grapheme", minLength: 3, maxLength: 30 }),
);

/**
 * DESIGN.md and issue 12: trimmed, 3 to 100 characters counted in code points, no control
 * characters, no format characters (bidi controls, zero-width), no lone surrogates.
 */
export function validTokenName(value: unknown): boolean {
  if (typeof value !== "string") return false;
  const name = value.trim();
  const length = [...name].length;
  return (
    length >= 3 &&
    length <= 100 &&
    // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what it refuses
    !/[\u0000-\u001F\u007F-\u009F\u2028\u2029]/.test(name) &&
    !/\p{Cf}/u.test(name) &&
    wellFormed(name)
  );
}

/** No UTF-16 surrogate without its other half. */
function wellFormed(text: string): boolean {
  for (let i = 0; i < text.length; i++) {
    const unit = text.charCodeAt(i);
    if (unit >= 0xdc00 && unit <= 0xdfff) return false;
    if (unit >= 0xd800 && unit <= 0xdbff) {
      const next = text.charCodeAt(i + 1);
      if (!(next >= 0xdc00 && next <= 0xdfff)) return false;
      i++;
    }
  }
  return true;
}

// ---------------------------------------------------------------------------------------------
// Ids and numbers: around every edge a database or JSON has.

const EDGE_NUMBERS = [
  0,
  -1,
  1,
  10,
  20,
  MAX_ID,
  MAX_ID + 1,
  2 ** 32,
  99_999_999_999,
  2 ** 53,
  2 ** 53 + 2,
  1.5,
  -0,
  1e308,
];

export const jsonNumber = fc.oneof(
  fc.constantFrom(...EDGE_NUMBERS),
  fc.integer({ min: -10, max: 40 }),
  fc.integer(),
  fc.double({ noNaN: true, noDefaultInfinity: true }),
);

/** An id in a path segment: digits near the edges, and text that only looks like one. */
export const idSegment = fc.oneof(
  fc.constantFrom(...EDGE_NUMBERS.map(String), "01", "+1", "1e3", "0x1", " 1", "1 ", "", "-0", "1.0"),
  fc.integer({ min: 1, max: 40 }).map(String),
  fc.bigInt({ min: 0n, max: 10n ** 20n }).map(String),
  fc.stringMatching(/^(%[0-9A-Fa-f]{0,2}|%[g-z]{2}|[0-9]{1,3}|[a-z.]{1,3})+$/),
);

/** DESIGN.md: a positive decimal integer, no sign or leading zero, within PostgreSQL's integer. */
export function validIdText(text: string): boolean {
  return /^[1-9][0-9]*$/.test(text) && Number(text) <= MAX_ID;
}

// ---------------------------------------------------------------------------------------------
// Expiry and scopes.

/** The expiry presets as DESIGN.md lists them: the suite's own oracle, not read from the core. */
export const PRESETS: readonly string[] = [
  "30d",
  "90d",
  "180d",
  "365d",
  "ONE_WEEK",
  "ONE_MONTH",
  "THREE_MONTHS",
  "SIX_MONTHS",
  "ONE_YEAR",
];

/** An expiry value and whether DESIGN.md accepts it, given the frozen `now`. */
export type LabeledExpiry = { readonly value: unknown; readonly valid: boolean };

export function expiry(now: Date): fc.Arbitrary<LabeledExpiry> {
  const at = (offsetMs: number, zone: string) => {
    const iso = new Date(now.getTime() + offsetMs).toISOString();
    if (zone === "Z") return iso;
    // The same instant written with another offset: +02:00 means two hours later on the clock.
    const sign = zone.startsWith("-") ? -1 : 1;
    const [hours, minutes] = zone.slice(1).split(":").map(Number) as [number, number];
    const shifted = new Date(now.getTime() + offsetMs + sign * (hours * 60 + minutes) * 60_000);
    return `${shifted.toISOString().slice(0, 23)}${zone}`;
  };
  const zone = fc.constantFrom("Z", "+02:00", "-05:30", "+00:00");
  return fc.oneof(
    fc.constant({ value: null, valid: true }),
    fc.constantFrom(...PRESETS).map((value) => ({ value, valid: true })),
    fc
      .tuple(fc.integer({ min: 60_000, max: 50 * 365 * 86_400_000 }), zone)
      .map(([offset, z]) => ({ value: at(offset, z), valid: true })),
    fc
      .tuple(fc.integer({ min: 1_000, max: 50 * 365 * 86_400_000 }), zone)
      .map(([offset, z]) => ({ value: at(-offset, z), valid: false })),
    fc
      .constantFrom(
        "2d",
        "30D",
        "one_week",
        "2027-06-01T00:00:00",
        "2027-02-30T00:00:00Z",
        "tomorrow",
        "",
        "P30D",
      )
      .map((value) => ({ value, valid: false })),
    fc
      .string({ maxLength: 12 })
      .filter((s) => !PRESETS.includes(s) && !/^\d{4}-/.test(s))
      .map((value) => ({ value, valid: false })),
    jsonNumber.map((value) => ({ value, valid: false })),
    fc.constantFrom(true, [], {}).map((value) => ({ value, valid: false })),
  );
}

const SCOPE_CHARS = [..."abcdefgxyz:*-_./0123456789ABC", '"', "\\", " ", "\t", "é", "\u202E", ","];

export const scopes = fc.oneof(
  fc.array(
    fc.array(fc.constantFrom(...SCOPE_CHARS), { maxLength: 8 }).map((c) => c.join("")),
    { maxLength: 4 },
  ),
  fc.array(fc.constant("documents:read"), { minLength: 49, maxLength: 52 }),
  fc.constantFrom("documents:read", null, 5, [5], [null], ["x".repeat(101)], ["x".repeat(100)]),
);

/** RFC 6749 §3.3 scope-tokens, at most 50 of them. */
export function validScopes(value: unknown): boolean {
  return (
    Array.isArray(value) &&
    value.length <= 50 &&
    value.every((s) => typeof s === "string" && /^[\x21\x23-\x5B\x5D-\x7E]{1,100}$/.test(s))
  );
}

// ---------------------------------------------------------------------------------------------
// Whole bodies.

/** A key that is not a field of the create or rotate body. */
export const extraKey = fc
  .oneof(
    fc.constantFrom("name", "expiresIn", "isAdmin", "userId", "__proto__", "constructor", "TokenName"),
    fc.string(),
  )
  .filter((key) => !["tokenName", "teamId", "expirationDate", "scopes", "gracePeriodSeconds"].includes(key));

/** Any JSON a client might send instead of an object. */
export const notAnObject = fc.oneof(
  fc.constantFrom(null, 0, "tokenName", true, []),
  fc.jsonValue().filter((v) => typeof v !== "object" || v === null || Array.isArray(v)),
);
