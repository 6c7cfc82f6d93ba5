/**
 * Every admin body schema under generated input, through the framework-free router
 * (`TokenAdmin.handle`, what every adapter calls): create, rotate, delete and list, with hostile
 * names, ids around every numeric edge, expiries, scopes, unknown fields, text that is not JSON,
 * wrong content types, cross-site origins and signed-out or disabled callers. Each answer must be
 * the one the oracle in `arbitraries.ts` expects: never a 5xx, never a 2xx for refused input, and
 * no token or digest in any answer but the 201 that minted it, nor in any log line.
 *
 * Over 300 lines, and kept whole: the four properties share one router and one oracle state (the
 * token ids Alice may manage), which rotate and delete read from what create and rotate made.
 */
import type { AdminBody, AdminCall, HttpAnswer } from "@tokengate/core";
import fc from "fast-check";
import { createWorld, START, USERS, type World } from "../behaviour/world";
import {
  expiry,
  extraKey,
  idSegment,
  jsonNumber,
  MAX_ID,
  notAnObject,
  PRESETS,
  runs,
  scopes,
  tokenNameText,
  validIdText,
  validScopes,
  validTokenName,
} from "./arbitraries";
import { answerText, capturingLogger, expectNoSecrets } from "./capture";

const TEAM = 10;
const SAME_ORIGIN = "http://app.test";

let world: World;
let logger: ReturnType<typeof capturingLogger>;
/** Token ids Alice may manage right now, as the oracle tracks them. */
let live: Set<number>;
/** Every answer but the 201s, for the secrecy check. */
let answers: string[];
let cases: number;
/** How often each operation got each status: proof the oracle saw every kind of answer. */
let seen: Map<string, number>;

beforeAll(() => {
  logger = capturingLogger();
  world = createWorld({ logger });
  world.directory.setDisabled(USERS.erin, true);
  live = new Set();
  answers = [];
  cases = 0;
  seen = new Map();
});

afterAll(async () => {
  expectNoSecrets(answers, world.plainTokens, "an admin answer");
  expectNoSecrets(logger.lines, world.plainTokens, "a log line");
  await world.gate.close();
});

// ---------------------------------------------------------------------------------------------
// Who calls, from where, with what content type.

const caller = fc.oneof(
  { weight: 8, arbitrary: fc.constant(USERS.alice as number | null) },
  { weight: 1, arbitrary: fc.constant(null) },
  { weight: 1, arbitrary: fc.constant(USERS.erin as number) },
);

const origin = fc.oneof(
  { weight: 6, arbitrary: fc.constant(undefined) },
  { weight: 2, arbitrary: fc.constant(SAME_ORIGIN) },
  {
    weight: 2,
    arbitrary: fc.constantFrom("https://app.test", "http://app.test:8080", "http://evil.test", "", "null"),
  },
);

const contentType = fc.oneof(
  { weight: 6, arbitrary: fc.constant("application/json") },
  {
    weight: 2,
    arbitrary: fc.constantFrom(
      "application/json; charset=utf-8",
      "APPLICATION/JSON",
      "application/merge-patch+json",
    ),
  },
  {
    weight: 2,
    arbitrary: fc.constantFrom(undefined, "text/plain", "application/x-www-form-urlencoded", "json"),
  },
);

const isJsonType = (type: string | undefined) => {
  const media = (type ?? "").split(";")[0]!.trim().toLowerCase();
  return media === "application/json" || (media.startsWith("application/") && media.endsWith("+json"));
};

/** A body as sent: JSON of a generated value, or raw text that may not be JSON at all. */
type Sent = { readonly text: string };

function bodyOf(sent: Sent): AdminBody {
  return sent.text === "" ? { kind: "absent" } : { kind: "text", text: sent.text };
}

/** What the server will parse the body into, or why it cannot: the first step of every oracle. */
function received(sent: Sent, type: string | undefined): { ok: true; value: unknown } | { ok: false } {
  if (sent.text.trim() === "") return { ok: true, value: undefined };
  if (!isJsonType(type)) return { ok: false };
  try {
    return { ok: true, value: JSON.parse(sent.text) };
  } catch {
    return { ok: false };
  }
}

const isPlainObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === "object" && v !== null && !Array.isArray(v);

// ---------------------------------------------------------------------------------------------
// Bodies.

const exp = expiry(START);

/** Fields of a create body, each present or not; values from every edge. */
const createFields = fc.record(
  {
    tokenName: fc.oneof(
      { weight: 8, arbitrary: tokenNameText },
      { weight: 1, arbitrary: fc.oneof(jsonNumber, fc.constantFrom(null, true, ["abcd"], { a: 1 })) },
    ),
    teamId: fc.oneof(fc.constantFrom(null, TEAM, 20, "10", 2_147_483_647), jsonNumber),
    expirationDate: exp.map((e) => e.value),
    scopes,
    extra: fc.tuple(extraKey, fc.jsonValue({ maxDepth: 1 })),
  },
  { requiredKeys: [] },
);

/** A body that is valid more often than not, so the accepting side of the oracle is exercised. */
const plausibleCreate = fc.record(
  {
    tokenName: fc.stringMatching(/^[A-Za-z0-9][A-Za-z0-9 ._:-]{1,38}[A-Za-z0-9]$/),
    teamId: fc.constantFrom(null, TEAM, 20),
    expirationDate: exp.map((e) => e.value),
    scopes: fc.array(fc.constantFrom("documents:read", "documents:write", "templates:*"), { maxLength: 3 }),
  },
  { requiredKeys: ["tokenName"] },
);

const createText = fc.oneof(
  { weight: 4, arbitrary: plausibleCreate.map((fields) => ({ text: JSON.stringify(fields) })) },
  {
    weight: 8,
    arbitrary: createFields.map(({ extra, ...fields }) => ({
      text: JSON.stringify(extra ? Object.fromEntries([...Object.entries(fields), extra]) : fields),
    })),
  },
  { weight: 1, arbitrary: notAnObject.map((v) => ({ text: JSON.stringify(v) })) },
  { weight: 1, arbitrary: fc.string({ maxLength: 30 }).map((text) => ({ text })) },
);

/** DESIGN.md's create body, judged on what the server parsed. */
function validCreate(value: unknown): boolean {
  if (!isPlainObject(value)) return false;
  const allowed = new Set(["tokenName", "teamId", "expirationDate", "scopes"]);
  if (Object.keys(value).some((key) => !allowed.has(key))) return false;
  const { tokenName, teamId, expirationDate, scopes: granted } = value;
  if (!validTokenName(tokenName)) return false;
  if (
    !(
      teamId === undefined ||
      teamId === null ||
      (Number.isInteger(teamId) && (teamId as number) >= 1 && (teamId as number) <= MAX_ID)
    )
  )
    return false;
  if (granted !== undefined && !validScopes(granted)) return false;
  if (expirationDate !== undefined && !validExpiry(expirationDate)) return false;
  return true;
}

const PRESET_SET = new Set(PRESETS);

/** null, a preset, or an ISO-8601 instant with a zone, after `after` (the frozen clock's now). */
function validExpiry(value: unknown, after = START.getTime()): boolean {
  if (value === null) return true;
  if (typeof value !== "string") return false;
  if (PRESET_SET.has(value)) return true;
  const parts = /^(\d{4})-(\d{2})-(\d{2})T([01]\d|2[0-3]):[0-5]\d:[0-5]\d(\.\d+)?(Z|[+-]\d{2}:\d{2})$/.exec(
    value,
  );
  if (!parts) return false;
  // A calendar day that exists: Date.parse would roll 30 February over into March.
  const [year, month, day] = [Number(parts[1]), Number(parts[2]), Number(parts[3])];
  const date = new Date(Date.UTC(year, month - 1, day));
  if (date.getUTCMonth() !== month - 1 || date.getUTCDate() !== day) return false;
  const at = Date.parse(value);
  return Number.isFinite(at) && at > after;
}

// ---------------------------------------------------------------------------------------------
// Calling the router, and what every answer must look like.

async function call(
  { origin, ...extra }: Partial<AdminCall> & Pick<AdminCall, "operation"> & { origin?: string | undefined },
  path: string,
): Promise<HttpAnswer> {
  cases++;
  const answer = await world.gate.admin.handle({
    query: "",
    body: { kind: "absent" },
    actorUserId: USERS.alice,
    scheme: "http",
    // Sent to Host app.test, from the Origin the case names (none when undefined).
    header: (name) => (name === "host" ? "app.test" : name === "origin" ? origin : undefined),
    ...extra,
  });
  const key = `${extra.operation} ${answer.status}`;
  seen.set(key, (seen.get(key) ?? 0) + 1);
  expect(answer.status).toBeLessThan(500);
  if (answer.status >= 400) {
    const body = JSON.parse(answer.body!) as { error: unknown; message: unknown };
    expect(typeof body.error).toBe("string");
    expect(typeof body.message).toBe("string");
  }
  const minted = answer.status === 201 ? (JSON.parse(answer.body!) as { token: string }).token : undefined;
  if (minted) world.plainTokens.add(minted);
  else answers.push(`${path} ${answerText(answer)}`);
  return answer;
}

/** The status the signed-in, same-origin checks give before the body is looked at. */
function gateStatus(actor: number | null, sentOrigin: string | undefined): number | undefined {
  if (sentOrigin !== undefined && sentOrigin !== SAME_ORIGIN) return 403;
  if (actor === null) return 401;
  return undefined;
}

const liveId = () => fc.constantFrom(...(live.size ? [...live].map(String) : ["1"]));

it("create: 201 exactly for a valid body from a signed-in, enabled caller allowed on the team", async () => {
  await fc.assert(
    fc.asyncProperty(caller, origin, contentType, createText, async (actor, sentOrigin, type, sent) => {
      const answer = await call(
        {
          operation: "create",
          actorUserId: actor,
          origin: sentOrigin,
          contentType: type,
          body: bodyOf(sent),
        },
        "/api-tokens",
      );
      const parsed = received(sent, type);
      const valid = parsed.ok && validCreate(parsed.value);
      const teamId = valid ? ((parsed.value as { teamId?: number | null }).teamId ?? null) : null;
      const expected =
        gateStatus(actor, sentOrigin) ??
        (!valid ? 400 : actor === USERS.erin ? 403 : teamId !== null && teamId !== TEAM ? 403 : 201);
      // The oracle's state follows what happened, before any check can stop the run.
      if (answer.status === 201) live.add((JSON.parse(answer.body!) as { id: number }).id);
      expect({ status: answer.status, sent: sent.text }).toEqual({ status: expected, sent: sent.text });
    }),
    runs(3_000),
  );
});

const graceSeconds = fc.oneof(
  fc.integer({ min: 0, max: 30 * 24 * 3600 }),
  fc.constantFrom(-1, 30 * 24 * 3600 + 1, 1.5, "60", null, MAX_ID + 1),
  jsonNumber,
);

const rotateText = fc.oneof(
  { weight: 2, arbitrary: fc.constant({ text: "" }) },
  {
    weight: 6,
    arbitrary: fc
      .record(
        {
          gracePeriodSeconds: graceSeconds,
          expirationDate: exp.map((e) => e.value),
          extra: fc.tuple(extraKey, fc.jsonValue({ maxDepth: 1 })),
        },
        { requiredKeys: [] },
      )
      .map(({ extra, ...fields }) => ({
        text: JSON.stringify(extra ? Object.fromEntries([...Object.entries(fields), extra]) : fields),
      })),
  },
  { weight: 1, arbitrary: notAnObject.map((v) => ({ text: JSON.stringify(v) })) },
  { weight: 1, arbitrary: fc.string({ maxLength: 20 }).map((text) => ({ text })) },
);

/** The rotate body's shape; whether its expiry is in the future is checked once the token is found. */
function wellFormedRotate(value: unknown): boolean {
  if (value === undefined) return true;
  if (!isPlainObject(value)) return false;
  if (Object.keys(value).some((key) => key !== "gracePeriodSeconds" && key !== "expirationDate"))
    return false;
  const { gracePeriodSeconds: grace, expirationDate } = value;
  if (
    grace !== undefined &&
    !(Number.isInteger(grace) && (grace as number) >= 0 && (grace as number) <= 30 * 24 * 3600)
  )
    return false;
  return expirationDate === undefined || validExpiry(expirationDate, -Infinity);
}

const futureRotate = (value: unknown) => {
  const expirationDate = isPlainObject(value) ? value.expirationDate : undefined;
  return expirationDate === undefined || validExpiry(expirationDate);
};

it("rotate: 201 exactly for a valid id Alice manages and a valid body", async () => {
  await fc.assert(
    fc.asyncProperty(
      caller,
      origin,
      contentType,
      fc.oneof(liveId(), idSegment),
      rotateText,
      async (actor, sentOrigin, type, id, sent) => {
        const answer = await call(
          {
            operation: "rotate",
            id,
            actorUserId: actor,
            origin: sentOrigin,
            contentType: type,
            body: bodyOf(sent),
          },
          `/api-tokens/${id}/rotate`,
        );
        const parsed = received(sent, type);
        const wellFormed = parsed.ok && wellFormedRotate(parsed.value);
        const expected =
          gateStatus(actor, sentOrigin) ??
          (!validIdText(id) || !wellFormed
            ? 400
            : actor === USERS.erin
              ? 403
              : !live.has(Number(id))
                ? 404
                : !futureRotate(parsed.value)
                  ? 400
                  : 201);
        if (answer.status === 201) {
          const rotated = JSON.parse(answer.body!) as { id: number; previous: { expiresAt: string } };
          live.add(rotated.id);
          // Without a grace period the old token is gone at once.
          if (rotated.previous.expiresAt === START.toISOString()) live.delete(Number(id));
        }
        expect({ status: answer.status, id, sent: sent.text }).toEqual({
          status: expected,
          id,
          sent: sent.text,
        });
      },
    ),
    runs(1_500),
  );
});

it("delete: 204 exactly for a valid id Alice manages", async () => {
  await fc.assert(
    fc.asyncProperty(caller, origin, fc.oneof(liveId(), idSegment), async (actor, sentOrigin, id) => {
      const answer = await call(
        { operation: "delete", id, actorUserId: actor, origin: sentOrigin },
        `/api-tokens/${id}`,
      );
      const expected =
        gateStatus(actor, sentOrigin) ??
        (!validIdText(id) ? 400 : actor === USERS.erin ? 403 : live.has(Number(id)) ? 204 : 404);
      if (answer.status === 204) live.delete(Number(id));
      expect({ status: answer.status, id }).toEqual({ status: expected, id });
    }),
    runs(1_000),
  );
});

const query = fc.oneof(
  fc.constantFrom(
    "",
    "?",
    "?teamId=10",
    "?teamId=20",
    "?teamId=10&teamId=10",
    "?team=10",
    "?teamId=%31%30",
    "?teamId=1%30",
  ),
  idSegment.map((id) => `?teamId=${id}`),
  fc.webQueryParameters().map((q) => `?${q}`),
);

it("list: 200 exactly for no filter or a team Alice administers; the query is read once per name", async () => {
  await fc.assert(
    fc.asyncProperty(
      caller,
      fc.constantFrom(undefined, "http://evil.test"),
      query,
      async (actor, sentOrigin, q) => {
        const answer = await call(
          { operation: "list", query: q, actorUserId: actor, origin: sentOrigin },
          `/api-tokens${q}`,
        );
        const params = [...new URLSearchParams(q)];
        const names = params.map(([name]) => name);
        const teamId = params.find(([name]) => name === "teamId")?.[1];
        const wellFormed =
          names.every((name) => name === "teamId") &&
          names.length <= 1 &&
          (teamId === undefined || validIdText(teamId));
        // A read is not state-changing: another origin may read, the browser keeps the answer from it.
        const expected =
          actor === null
            ? 401
            : !wellFormed
              ? 400
              : actor === USERS.erin
                ? 403
                : teamId === undefined || Number(teamId) === TEAM
                  ? 200
                  : 403;
        expect({ status: answer.status, q }).toEqual({ status: expected, q });
        if (answer.status === 200) {
          const listed = JSON.parse(answer.body!) as { tokens: Array<Record<string, unknown>> };
          for (const token of listed.tokens) expect(Object.keys(token)).not.toContain("digest");
        }
      },
    ),
    runs(1_000),
  );
  // Enough cases ran, and some of every kind of answer: the oracle was not vacuous.
  expect(cases).toBeGreaterThanOrEqual(6_500);
  for (const [answer, atLeast] of [
    ["create 201", 100],
    ["create 400", 500],
    ["create 403", 100],
    ["rotate 201", 20],
    ["rotate 404", 20],
    ["delete 204", 10],
    ["delete 400", 50],
    ["list 200", 50],
    ["list 400", 50],
  ] as const) {
    expect([answer, (seen.get(answer) ?? 0) >= atLeast]).toEqual([answer, true]);
  }
});
