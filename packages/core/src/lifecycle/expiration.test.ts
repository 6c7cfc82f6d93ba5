import { EXPIRATION_PRESETS, isExpirationPreset, resolveExpiration } from "./expiration";

const at = (iso: string) => new Date(iso);
const DAY = 86_400_000;

describe("resolveExpiration", () => {
  // A frozen "now": the last day of a 31-day month, where calendar arithmetic shows.
  const now = at("2025-01-31T10:15:30.000Z");

  it.each([
    // Day presets are whole 24-hour days in UTC.
    ["30d", new Date(now.getTime() + 30 * DAY)],
    ["90d", new Date(now.getTime() + 90 * DAY)],
    ["180d", new Date(now.getTime() + 180 * DAY)],
    ["365d", new Date(now.getTime() + 365 * DAY)],
    // Documenso's presets are calendar arithmetic: a month from 31 January is the end of February.
    ["ONE_WEEK", at("2025-02-07T10:15:30.000Z")],
    ["ONE_MONTH", at("2025-02-28T10:15:30.000Z")],
    ["THREE_MONTHS", at("2025-04-30T10:15:30.000Z")],
    ["SIX_MONTHS", at("2025-07-31T10:15:30.000Z")],
    ["ONE_YEAR", at("2026-01-31T10:15:30.000Z")],
  ])("%s from 2025-01-31T10:15:30Z", (preset, expected) => {
    expect(resolveExpiration(preset, now)).toEqual(expected);
  });

  it("lands ONE_MONTH from 31 January on 29 February in a leap year", () => {
    expect(resolveExpiration("ONE_MONTH", at("2024-01-31T00:00:00Z"))).toEqual(at("2024-02-29T00:00:00Z"));
  });

  it("lands ONE_YEAR from 29 February on 28 February", () => {
    expect(resolveExpiration("ONE_YEAR", at("2024-02-29T12:00:00Z"))).toEqual(at("2025-02-28T12:00:00Z"));
  });

  it("counts in UTC, so a week across a daylight-saving change is exactly 7 × 24 hours", () => {
    // Europe and the US change clocks in late March; UTC does not.
    const before = at("2025-03-27T12:00:00Z");
    expect(resolveExpiration("ONE_WEEK", before)!.getTime() - before.getTime()).toBe(7 * DAY);
  });

  it("does not depend on the process time zone", () => {
    const saved = process.env.TZ;
    try {
      process.env.TZ = "Pacific/Kiritimati";
      expect(resolveExpiration("ONE_MONTH", now)).toEqual(at("2025-02-28T10:15:30.000Z"));
    } finally {
      if (saved === undefined) delete process.env.TZ;
      else process.env.TZ = saved;
    }
  });

  it("means never for null", () => {
    expect(resolveExpiration(null, now)).toBeNull();
  });

  it.each([
    ["2027-01-31T00:00:00Z", "2027-01-31T00:00:00.000Z"],
    ["2027-01-31T00:00:00.123Z", "2027-01-31T00:00:00.123Z"],
    ["2027-01-31T02:00:00+02:00", "2027-01-31T00:00:00.000Z"],
    ["2027-01-30T19:00:00-05:00", "2027-01-31T00:00:00.000Z"],
  ])("takes the ISO instant %s as the instant it names", (iso, expected) => {
    expect(resolveExpiration(iso, now)!.toISOString()).toBe(expected);
  });

  it("does not read the clock for an explicit instant", () => {
    expect(resolveExpiration("2027-01-31T00:00:00Z", at("2030-01-01T00:00:00Z"))).toEqual(
      at("2027-01-31T00:00:00Z"),
    );
  });
});

describe("EXPIRATION_PRESETS", () => {
  it("lists ours and Documenso's", () => {
    expect([...EXPIRATION_PRESETS].sort()).toEqual(
      [
        "30d",
        "90d",
        "180d",
        "365d",
        "ONE_WEEK",
        "ONE_MONTH",
        "THREE_MONTHS",
        "SIX_MONTHS",
        "ONE_YEAR",
      ].sort(),
    );
  });

  it.each([["one_month"], ["30D"], ["7d"], ["toString"], ["__proto__"], ["constructor"], [""]])(
    "does not take %j for a preset",
    (value) => {
      expect(isExpirationPreset(value)).toBe(false);
    },
  );
});
