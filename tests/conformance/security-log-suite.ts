/**
 * The `SecurityLog` contract (issue 14's token security log), run against every implementation by
 * security-logs.test.ts: the memory log, SQLite, PostgreSQL, and PostgreSQL beside Documenso's
 * tables. What the core relies on: ids grow in append order and are never reused, a list is
 * newest first and honours every filter and the page bound, and a prune is bounded and removes
 * only what is older than its cut.
 */
import type { SecurityLog, SecurityLogEntry, StoredSecurityEvent } from "@tokengate/core";
import type { Subject, TestFn } from "./suites";

const at = (iso: string) => new Date(iso);

function entry(overrides: Partial<SecurityLogEntry> = {}): SecurityLogEntry {
  return {
    type: "created",
    at: at("2026-05-01T10:00:00.123Z"),
    actorUserId: 1,
    tokenId: 100,
    tokenName: "ci deploy",
    teamId: null,
    ownerUserId: 1,
    clientAddress: "203.0.113.5",
    userAgent: "curl/8.5.0",
    count: 1,
    ...overrides,
  };
}

async function using(
  make: () => Promise<Subject<SecurityLog>> | Subject<SecurityLog>,
  body: (log: SecurityLog) => Promise<void>,
) {
  const made = await make();
  try {
    await body(made.subject);
  } finally {
    await made.dispose?.();
  }
}

const ids = (events: ReadonlyArray<{ id: number }>) => events.map((e) => e.id);

export function securityLogConformance(
  name: string,
  make: () => Promise<Subject<SecurityLog>> | Subject<SecurityLog>,
  options: { readonly test?: TestFn } = {},
): void {
  const test: TestFn = options.test ?? ((title, fn) => it(title, fn));
  const withLog = (body: (log: SecurityLog) => Promise<void>) => () => using(make, body);

  describe(`SecurityLog conformance: ${name}`, () => {
    test(
      "append returns every entry with its id, in the order given, and list returns them as stored",
      withLog(async (log) => {
        const batch = [
          entry(),
          entry({
            type: "rate_limited",
            at: at("2026-05-01T10:00:01.456Z"),
            actorUserId: null,
            teamId: 10,
            ownerUserId: null,
            clientAddress: "2001:db8::1",
            userAgent: "Mozilla/5.0 (X11; Linux) «ünïcödé» 🚀",
            count: 4812,
          }),
          entry({ type: "revoked", tokenId: null, tokenName: null, clientAddress: null, userAgent: null }),
        ];
        const stored = await log.append(batch);
        expect(stored).toEqual(batch.map((e) => ({ ...e, id: expect.any(Number) })));
        expect(ids(stored)).toEqual([...ids(stored)].sort((a, b) => a - b));
        expect(new Set(ids(stored)).size).toBe(3);
        const listed = await log.list({ limit: 10 });
        // Newest first: the 10:00:01 entry, then the two of 10:00:00 by id.
        expect(listed).toEqual([stored[1], stored[2], stored[0]]);
        expect(listed[0]!.at).toBeInstanceOf(Date);
        expect(listed[0]!.at.getTime()).toBe(batch[1]!.at.getTime());
        expect(await log.append([])).toEqual([]);
      }),
    );

    test(
      "list is newest first by time, then by id, and stops at the limit",
      withLog(async (log) => {
        // Instances write their buffered events up to a second apart: an event written later (a
        // higher id) can have happened earlier, as a demo's create written after a CLI's revoke.
        const noon = await log.append([entry({ at: at("2026-05-01T12:00:00Z") })]);
        const eleven = await log.append([entry({ at: at("2026-05-01T11:00:00Z") })]);
        const alsoNoon = await log.append([entry({ at: at("2026-05-01T12:00:00Z") })]);
        const latest = await log.append([entry({ at: at("2026-05-01T13:00:00Z") })]);
        const order = [...latest, ...alsoNoon, ...noon, ...eleven];
        expect(ids(await log.list({ limit: 10 }))).toEqual(ids(order));
        expect(ids(await log.list({ limit: 2 }))).toEqual(ids(order.slice(0, 2)));
        expect(ids(await log.list({ limit: 1, before: alsoNoon[0]! }))).toEqual(ids(noon));
        expect(ids(await log.list({ limit: 5, before: noon[0]! }))).toEqual(ids(eleven));
      }),
    );

    test(
      "filters by team, by a user's personal tokens and by token, each alone and together",
      withLog(async (log) => {
        const [mine, theirs, team, teamOther, mineOther] = await log.append([
          entry({ tokenId: 1, teamId: null, ownerUserId: 1 }),
          entry({ tokenId: 2, teamId: null, ownerUserId: 2 }),
          entry({ tokenId: 3, teamId: 10, ownerUserId: 1 }),
          entry({ tokenId: 4, teamId: 11, ownerUserId: 1 }),
          entry({ tokenId: 1, teamId: null, ownerUserId: 1, type: "revoked" }),
        ]);
        expect(ids(await log.list({ teamId: 10, limit: 10 }))).toEqual(ids([team!]));
        // A team token the user made is the team's, not the user's personal history.
        expect(ids(await log.list({ personalOf: 1, limit: 10 }))).toEqual(ids([mineOther!, mine!]));
        expect(ids(await log.list({ personalOf: 2, limit: 10 }))).toEqual(ids([theirs!]));
        expect(ids(await log.list({ tokenId: 1, limit: 10 }))).toEqual(ids([mineOther!, mine!]));
        expect(ids(await log.list({ tokenId: 4, teamId: 11, limit: 10 }))).toEqual(ids([teamOther!]));
        expect(await log.list({ tokenId: 4, teamId: 10, limit: 10 })).toEqual([]);
        expect(await log.list({ tokenId: 2, personalOf: 1, limit: 10 })).toEqual([]);
        expect(ids(await log.list({ tokenId: 1, before: mineOther!, limit: 10 }))).toEqual(ids([mine!]));
        expect(await log.list({ teamId: 999, limit: 10 })).toEqual([]);
      }),
    );

    test(
      "pages with before without repeats or gaps, across entries of the same time",
      withLog(async (log) => {
        const stored = await log.append(Array.from({ length: 7 }, (_, i) => entry({ tokenId: 500 + i })));
        const seen: number[] = [];
        let before: StoredSecurityEvent | undefined;
        for (;;) {
          const page = await log.list({ limit: 3, before });
          if (page.length === 0) break;
          seen.push(...ids(page));
          before = page[page.length - 1]!;
        }
        expect(seen).toEqual(ids(stored).reverse());
      }),
    );

    test(
      "prune removes only entries older than the cut, oldest first, at most limit, and says how many",
      withLog(async (log) => {
        const old = await log.append(
          Array.from({ length: 5 }, (_, i) => entry({ at: at(`2026-01-0${i + 1}T00:00:00Z`) })),
        );
        const recent = await log.append([entry({ at: at("2026-05-01T00:00:00Z") })]);
        const cut = at("2026-04-01T00:00:00Z");
        expect(await log.prune(cut, 2)).toBe(2);
        expect(ids(await log.list({ limit: 10 }))).toEqual(ids([...recent, ...old.slice(2).reverse()]));
        expect(await log.prune(cut, 100)).toBe(3);
        expect(await log.prune(cut, 100)).toBe(0);
        expect(ids(await log.list({ limit: 10 }))).toEqual(ids(recent));
        // An entry exactly at the cut is not older than it.
        await log.append([entry({ at: cut })]);
        expect(await log.prune(cut, 100)).toBe(0);
      }),
    );

    test(
      "ids are never reused after a prune, so a cursor stays a fixed point",
      withLog(async (log) => {
        const before = await log.append([entry({ at: at("2026-01-01T00:00:00Z") }), entry()]);
        await log.prune(at("2027-01-01T00:00:00Z"), 100);
        const [after] = await log.append([entry()]);
        expect(after!.id).toBeGreaterThan(Math.max(...ids(before)));
      }),
    );
  });
}
