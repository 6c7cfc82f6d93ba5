import type { z } from "zod";
import type { FieldIssue } from "../errors";
import {
  CreateApiTokenRequestSchema,
  ListApiTokensQuerySchema,
  MAX_GRACE_SECONDS,
  RotateApiTokenRequestSchema,
  TokenIdParamSchema,
  TokenNameSchema,
} from "./schemas";
import { parseOrFail } from "./validation";

/** The issues the admin router would answer with, or the parsed value. */
function parse<S extends z.ZodType>(schema: S, input: unknown) {
  const parsed = parseOrFail(schema, input);
  return parsed.ok ? { value: parsed.value } : { status: parsed.error.status, issues: parsed.error.issues };
}
const refused = (...issues: FieldIssue[]) => ({ status: 400, issues });

describe("tokenName", () => {
  it.each([
    ["a plain name", "deploy", "deploy"],
    ["three characters", "abc", "abc"],
    ["surrounding spaces, trimmed", "   deploy bot  ", "deploy bot"],
    ["surrounding tabs and newlines, trimmed", "\t\ndeploy\n\t", "deploy"],
    ["a hundred characters", "x".repeat(100), "x".repeat(100)],
    ["a hundred after trimming", `  ${"x".repeat(100)}  `, "x".repeat(100)],
    ["non-ASCII letters", "Zürich déploiement", "Zürich déploiement"],
    ["inner spaces", "ci  deploy", "ci  deploy"],
    ["right-to-left script", "נסיון עברית", "נסיון עברית"],
    ["a hundred emoji (two UTF-16 units each)", "🔑".repeat(100), "🔑".repeat(100)],
    ["three emoji", "🔑🔑🔑", "🔑🔑🔑"],
  ])("accepts %s", (_name, input, expected) => {
    expect(parse(CreateApiTokenRequestSchema, { tokenName: input })).toEqual({
      value: { tokenName: expected },
    });
  });

  const tooShort = { field: "tokenName", message: "The token name should be 3 characters or longer" };
  it.each([
    ["two characters", "ab"],
    ["empty", ""],
    ["two characters inside spaces", "   ab   "],
    ["only spaces", "      "],
    ["two emoji (four UTF-16 units)", "🔑🔑"],
  ])("refuses %s with Documenso's message", (_name, input) => {
    expect(parse(CreateApiTokenRequestSchema, { tokenName: input })).toEqual(refused(tooShort));
  });

  it.each([
    ["a hundred and one characters", "x".repeat(101)],
    ["a hundred and one emoji", "🔑".repeat(101)],
  ])("refuses %s", (_name, input) => {
    expect(parse(CreateApiTokenRequestSchema, { tokenName: input })).toEqual(
      refused({ field: "tokenName", message: "The token name should be 100 characters or shorter" }),
    );
  });

  const invisible = {
    field: "tokenName",
    message: "The token name must not contain invisible or text-direction characters",
  };
  it.each([
    ["RIGHT-TO-LEFT OVERRIDE (U+202E)", "invoice\u202Efdp.exe"],
    ["LEFT-TO-RIGHT EMBEDDING (U+202A)", "a\u202Abc"],
    ["POP DIRECTIONAL FORMATTING (U+202C)", "ab\u202Cc"],
    ["RIGHT-TO-LEFT ISOLATE (U+2067)", "ab\u2067c"],
    ["POP DIRECTIONAL ISOLATE (U+2069)", "ab\u2069c"],
    ["LEFT-TO-RIGHT MARK (U+200E)", "ab\u200Ec"],
    ["RIGHT-TO-LEFT MARK (U+200F)", "ab\u200Fc"],
    ["ARABIC LETTER MARK (U+061C)", "ab\u061Cc"],
    ["ZERO WIDTH SPACE (U+200B)", "dep\u200Bloy"],
    ["ZERO WIDTH NON-JOINER (U+200C)", "dep\u200Cloy"],
    ["ZERO WIDTH JOINER (U+200D)", "dep\u200Dloy"],
    ["WORD JOINER (U+2060)", "dep\u2060loy"],
    ["ZERO WIDTH NO-BREAK SPACE inside (U+FEFF)", "dep\uFEFFloy"],
    ["SOFT HYPHEN (U+00AD)", "dep\u00ADloy"],
  ])("refuses %s, naming tokenName", (_name, input) => {
    expect(parse(CreateApiTokenRequestSchema, { tokenName: input })).toEqual(refused(invisible));
  });

  it.each([
    ["a lone high surrogate", "abc\uD800def"],
    ["a lone low surrogate", "abc\uDC00def"],
    ["a reversed pair", "abc\uDE00\uD83Ddef"],
  ])("refuses %s, naming tokenName", (_name, input) => {
    expect(parse(CreateApiTokenRequestSchema, { tokenName: input })).toEqual(
      refused({ field: "tokenName", message: "The token name must be valid Unicode text" }),
    );
  });

  it.each([
    ["NUL", "ab\u0000cd"],
    ["a newline inside", "line\nbreak"],
    ["a tab inside", "tab\tinside"],
    ["ESC (terminal escapes)", "red\u001b[31m"],
    ["DEL", "del\u007fete"],
    ["a C1 control", "next\u0085line"],
    ["LINE SEPARATOR", "line\u2028sep"],
  ])("refuses %s", (_name, input) => {
    expect(parse(CreateApiTokenRequestSchema, { tokenName: input })).toEqual(
      refused({ field: "tokenName", message: "The token name must not contain control characters" }),
    );
  });

  it("names tokenName when it is missing", () => {
    expect(parse(CreateApiTokenRequestSchema, {})).toEqual(
      refused({ field: "tokenName", message: "tokenName is required" }),
    );
  });

  it.each([[123], [null], [["deploy"]], [{ name: "deploy" }]])(
    "says tokenName must be a string for %j",
    (value) => {
      // zod also runs the length check on an array, so only the first issue is pinned.
      const parsed = parse(CreateApiTokenRequestSchema, { tokenName: value });
      expect(parsed).toMatchObject({ status: 400 });
      expect(parsed.issues?.[0]).toEqual({ field: "tokenName", message: "tokenName must be a string" });
    },
  );

  it("is the same schema on its own", () => {
    expect(TokenNameSchema.parse("  abc ")).toBe("abc");
  });
});

describe("expirationDate", () => {
  it.each([
    ["null (never)", null],
    ["30d", "30d"],
    ["ONE_MONTH", "ONE_MONTH"],
    ["an instant in UTC", "2027-01-31T00:00:00Z"],
    ["an instant with fractional seconds", "2027-01-31T00:00:00.500Z"],
    ["an instant with an offset", "2027-01-31T00:00:00+02:00"],
    ["an instant with a negative offset", "2027-01-31T00:00:00-05:30"],
  ])("accepts %s", (_name, expirationDate) => {
    expect(parse(CreateApiTokenRequestSchema, { tokenName: "abc", expirationDate })).toEqual({
      value: { tokenName: "abc", expirationDate },
    });
  });

  it("leaves it out when omitted (the service reads that as never)", () => {
    const parsed = parse(CreateApiTokenRequestSchema, { tokenName: "abc" });
    expect(parsed).toEqual({ value: { tokenName: "abc" } });
  });

  it.each([
    ["an instant without a time zone", "2027-01-31T00:00:00"],
    ["a date alone", "2027-01-31"],
    ["a lowercase preset", "one_month"],
    ["an unknown preset", "7d"],
    ["words", "next tuesday"],
    ["an empty string", ""],
    ["an impossible date", "2027-02-30T00:00:00Z"],
    ["a number", 30],
    ["a boolean", false],
    ["an object", { days: 30 }],
  ])("refuses %s, naming expirationDate", (_name, expirationDate) => {
    const parsed = parse(CreateApiTokenRequestSchema, { tokenName: "abc", expirationDate });
    expect(parsed).toEqual(
      refused({ field: "expirationDate", message: expect.stringContaining("expirationDate must be null") }),
    );
  });

  it("lists the presets in the message, so a caller can fix the request", () => {
    const parsed = parseOrFail(CreateApiTokenRequestSchema, { tokenName: "abc", expirationDate: "soon" });
    expect(parsed.ok).toBe(false);
    if (!parsed.ok) {
      expect(parsed.error.message).toMatch(/^expirationDate: /);
      expect(parsed.error.message).toContain("ONE_MONTH");
      expect(parsed.error.message).toContain("2027-01-31T00:00:00Z");
    }
  });
});

describe("the rest of the create body", () => {
  it.each([
    ["a team", { teamId: 7 }, { teamId: 7 }],
    ["a personal token (teamId null)", { teamId: null }, { teamId: null }],
    ["scopes", { scopes: ["documents:read", "templates:*"] }, { scopes: ["documents:read", "templates:*"] }],
  ])("accepts %s", (_name, extra, expected) => {
    expect(parse(CreateApiTokenRequestSchema, { tokenName: "abc", ...extra })).toEqual({
      value: { tokenName: "abc", ...expected },
    });
  });

  it.each([
    ["a string teamId", { teamId: "7" }, "teamId", "teamId must be a number"],
    ["a zero teamId", { teamId: 0 }, "teamId", expect.any(String)],
    ["a fractional teamId", { teamId: 1.5 }, "teamId", expect.any(String)],
    [
      "a teamId past PostgreSQL's integer",
      { teamId: 99999999999 },
      "teamId",
      "teamId must be a positive integer no larger than 2147483647",
    ],
    [
      "a teamId one past the largest",
      { teamId: 2147483648 },
      "teamId",
      "teamId must be a positive integer no larger than 2147483647",
    ],
    ["a scope with a space", { scopes: ["a b"] }, "scopes.0", expect.stringContaining("without spaces")],
    ["a scope with a quote", { scopes: ['a"b'] }, "scopes.0", expect.stringContaining("without spaces")],
  ])("refuses %s, naming the field", (_name, extra, field, message) => {
    expect(parse(CreateApiTokenRequestSchema, { tokenName: "abc", ...extra })).toEqual(
      refused({ field, message }),
    );
  });

  it("refuses an empty scope, naming it", () => {
    const parsed = parse(CreateApiTokenRequestSchema, { tokenName: "abc", scopes: [""] });
    expect(parsed).toMatchObject({ status: 400 });
    expect(parsed.issues?.map((i) => i.field)).toContain("scopes.0");
  });

  it("names every unknown key", () => {
    expect(parse(CreateApiTokenRequestSchema, { tokenName: "abc", name: "x", expiresIn: 5 })).toEqual(
      refused(
        { field: "name", message: "Unknown field: name" },
        { field: "expiresIn", message: "Unknown field: expiresIn" },
      ),
    );
  });

  it("reports every problem at once, and leads the message with the first", () => {
    const parsed = parseOrFail(CreateApiTokenRequestSchema, { tokenName: "x", teamId: "7", extra: true });
    expect(parsed.ok).toBe(false);
    if (!parsed.ok) {
      expect(parsed.error.code).toBe("validation_failed");
      expect(parsed.error.issues?.map((i) => i.field).sort()).toEqual(["extra", "teamId", "tokenName"]);
      expect(parsed.error.message).toBe(
        `${parsed.error.issues?.[0]?.field}: ${parsed.error.issues?.[0]?.message}`,
      );
    }
  });

  it.each([[null], ["tokenName=abc"], [["abc"]], [42]])(
    "refuses a body that is not an object: %j",
    (body) => {
      expect(parse(CreateApiTokenRequestSchema, body)).toEqual(
        refused({ field: "body", message: expect.any(String) }),
      );
    },
  );
});

describe("the rotate body", () => {
  it.each([
    ["nothing", {}, {}],
    ["a grace period", { gracePeriodSeconds: 3600 }, { gracePeriodSeconds: 3600 }],
    [
      "the longest grace period",
      { gracePeriodSeconds: MAX_GRACE_SECONDS },
      { gracePeriodSeconds: MAX_GRACE_SECONDS },
    ],
    ["a new expiry", { expirationDate: "ONE_YEAR" }, { expirationDate: "ONE_YEAR" }],
  ])("accepts %s", (_name, body, expected) => {
    expect(parse(RotateApiTokenRequestSchema, body)).toEqual({ value: expected });
  });

  it.each([
    ["a negative grace", { gracePeriodSeconds: -1 }, "gracePeriodSeconds"],
    ["a grace past thirty days", { gracePeriodSeconds: MAX_GRACE_SECONDS + 1 }, "gracePeriodSeconds"],
    ["a fractional grace", { gracePeriodSeconds: 1.5 }, "gracePeriodSeconds"],
    ["a string grace", { gracePeriodSeconds: "60" }, "gracePeriodSeconds"],
    ["an unknown key", { grace: 60 }, "grace"],
    ["an expiry without a zone", { expirationDate: "2027-01-31T00:00:00" }, "expirationDate"],
  ])("refuses %s, naming it", (_name, body, field) => {
    expect(parse(RotateApiTokenRequestSchema, body)).toEqual(refused({ field, message: expect.any(String) }));
  });
});

describe("path and query parameters", () => {
  it.each([
    ["1", 1],
    ["42", 42],
    ["2147483647", 2147483647],
  ])("reads the id %j as %d", (id, expected) => {
    expect(parse(TokenIdParamSchema, id)).toEqual({ value: expected });
  });

  const idRefused = "id must be a positive integer no larger than 2147483647";
  it.each([
    ["0"],
    ["01"],
    ["-1"],
    ["1.5"],
    ["1e3"],
    ["abc"],
    [""],
    [" 1"],
    ["%"],
    ["2147483648"],
    ["9999999999"],
    ["9999999999999999"],
    ["12345678901234567"],
  ])("refuses the id %j", (id) => {
    expect(parseOrFail(TokenIdParamSchema, id, "id")).toMatchObject({
      ok: false,
      error: { status: 400, issues: [{ field: "id", message: idRefused }] },
    });
  });

  it("reads the list query", () => {
    expect(parse(ListApiTokensQuerySchema, {})).toEqual({ value: {} });
    expect(parse(ListApiTokensQuerySchema, { teamId: "7" })).toEqual({ value: { teamId: 7 } });
    expect(parse(ListApiTokensQuerySchema, { teamId: "2147483647" })).toEqual({
      value: { teamId: 2147483647 },
    });
    for (const teamId of ["x", "2147483648", "99999999999"]) {
      expect(parse(ListApiTokensQuerySchema, { teamId })).toEqual(
        refused({ field: "teamId", message: "teamId must be a positive integer no larger than 2147483647" }),
      );
    }
    expect(parse(ListApiTokensQuerySchema, { team: "7" })).toEqual(
      refused({ field: "team", message: "Unknown field: team" }),
    );
  });
});
