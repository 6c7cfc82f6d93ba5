/**
 * The Authorization parser and the verifier behind it under generated headers: the accepted forms
 * of a real token with their whitespace, and every way of breaking them (two headers, two schemes,
 * a comma, a stray character, another case, control characters, random text). Bulk through the
 * framework-free core (`parseCredentials`, `TokenVerifier.verify`), then through every harness.
 *
 * Held to: a credential is accepted exactly when it is one real token in an accepted form; every
 * refusal is 400 or 401 with a challenge, never a 5xx; no token or digest in any answer or log line.
 */
import { parseCredentials } from "@tokengate/core";
import fc from "fast-check";
import { type Client, HARNESSES, MOUNTED_RUNS, ROUTES } from "../behaviour/harnesses";
import { createWorld, expectNoSecretLeaks, mintToken, USERS, type World } from "../behaviour/world";
import { runs } from "./arbitraries";
import { answerText, capturingLogger, expectNoSecrets } from "./capture";

const B64TOKEN = /^[A-Za-z0-9\-._~+/]+=*$/;

interface Tokens {
  /** Alice's token: the only one that may be accepted. */
  readonly live: string;
  /** Revoked before the run. */
  readonly revoked: string;
  /** Belongs to Erin, whose account is disabled. */
  readonly disabled: string;
}

async function seed(world: World): Promise<Tokens> {
  const live = (await mintToken(world, USERS.alice, { tokenName: "fuzz live" })).token;
  const revoked = await mintToken(world, USERS.alice, { tokenName: "fuzz revoked" });
  await world.gate.service.delete({ kind: "user", userId: USERS.alice }, revoked.id);
  const disabled = (await mintToken(world, USERS.erin, { tokenName: "fuzz disabled" })).token;
  world.directory.setDisabled(USERS.erin, true);
  await world.gate.directoryChanged();
  return { live, revoked: revoked.token, disabled };
}

/** Header lines as sent, and whether they carry exactly one live credential in an accepted form. */
type Labeled = { readonly lines: readonly string[]; readonly accept: boolean };

const ows = fc.constantFrom("", " ", "  ", "\t", " \t ");

/** The forms DESIGN.md accepts: `Bearer <token>` (scheme in any case, spaces after it), raw `<token>`. */
const acceptedForm = (token: string) =>
  fc.oneof(
    fc
      .tuple(ows, fc.mixedCase(fc.constant("bearer")), fc.constantFrom(" ", "  ", "   "), ows)
      .map(([before, scheme, gap, after]) => `${before}${scheme}${gap}${token}${after}`),
    fc.tuple(ows, ows).map(([before, after]) => `${before}${token}${after}`),
  );

/** Ways to break a header that carries a token, each of which must be refused. */
const broken = (token: string) =>
  fc.oneof(
    fc.constantFrom(
      `Bearer ${token}, Bearer ${token}`,
      `Bearer ${token},`,
      `Bearer ${token} extra`,
      `Bearer\t${token}`,
      `Basic dXNlcjpwYXNz, Bearer ${token}`,
      `Token ${token}`,
      `Bearer ${token.toUpperCase()}`,
      `Bearer ${token.slice(0, -1)}`,
      `Bearer ${token}x`,
      `Bearer "${token}"`,
      `Bearer ${token}\u0000`,
      `Bearer ${token}\u00e9`,
      `Bearer`,
      "",
    ),
    fc
      .tuple(fc.nat(token.length), fc.constantFrom(" ", ",", "\t", "=", "\u202e", "%", ";", "\u0000"))
      // Padding at the end, or whitespace at either end, leaves an accepted form: not a break.
      .filter(([at, char]) => !((char === "=" || char === " " || char === "\t") && at === token.length))
      .filter(([at, char]) => !((char === " " || char === "\t") && at === 0))
      .map(([at, char]) => `Bearer ${token.slice(0, at)}${char}${token.slice(at)}`),
  );

function labeled(tokens: Tokens): fc.Arbitrary<Labeled> {
  const other = fc.constantFrom(tokens.revoked, tokens.disabled, "api_0000000000000000", "not-a-token");
  return fc.oneof(
    { weight: 3, arbitrary: acceptedForm(tokens.live).map((line) => ({ lines: [line], accept: true })) },
    { weight: 2, arbitrary: other.chain(acceptedForm).map((line) => ({ lines: [line], accept: false })) },
    { weight: 3, arbitrary: broken(tokens.live).map((line) => ({ lines: [line], accept: false })) },
    {
      weight: 2,
      arbitrary: fc
        .tuple(
          acceptedForm(tokens.live),
          fc.oneof(acceptedForm(tokens.live), broken(tokens.live), fc.string()),
        )
        .map(([first, second]) => ({ lines: [first, second], accept: false })),
    },
    { weight: 1, arbitrary: fc.constant({ lines: [], accept: false }) },
    {
      weight: 3,
      arbitrary: fc
        .array(fc.oneof(fc.string({ unit: "binary", maxLength: 40 }), fc.string({ maxLength: 40 })), {
          minLength: 1,
          maxLength: 3,
        })
        .map((lines) => ({ lines, accept: false })),
    },
  );
}

describe("the core: parseCredentials and the verifier", () => {
  let world: World;
  let logger: ReturnType<typeof capturingLogger>;
  let tokens: Tokens;

  beforeAll(async () => {
    logger = capturingLogger();
    world = createWorld({ logger });
    tokens = await seed(world);
  });

  afterAll(() => world.gate.close());

  it("accepts exactly one live token in an accepted form, and answers every refusal 400 or 401", async () => {
    const answers: string[] = [];
    let accepted = 0;
    await fc.assert(
      fc.asyncProperty(labeled(tokens), async ({ lines, accept }) => {
        const input = lines.length === 1 ? lines[0]! : lines;
        const parsed = parseCredentials(input);
        if (parsed.kind === "token") {
          expect(parsed.token).toMatch(B64TOKEN);
          expect(lines.join("\n")).toContain(parsed.token);
        }
        const outcome = await world.gate.verifier.verify({ authorization: input });
        expect({ lines, ok: outcome.ok }).toEqual({ lines, ok: accept });
        if (outcome.ok) {
          accepted++;
          expect(outcome.identity.userId).toBe(USERS.alice);
          return;
        }
        const { answer } = outcome;
        expect([400, 401]).toContain(answer.status);
        expect(answer.headers["www-authenticate"]).toMatch(/^Bearer realm="api"/);
        if (answer.status === 400) expect(JSON.parse(answer.body!).error).toBe("invalid_request");
        answers.push(answerText(answer));
      }),
      runs(4_000),
    );
    expect(accepted).toBeGreaterThan(200);
    expectNoSecrets(answers, world.plainTokens, "a verifier answer");
    expectNoSecrets(logger.lines, world.plainTokens, "a log line");
  });

  it("treats an access_token query value like a header, where the deployment allows it", async () => {
    const queryWorld = createWorld({ logger, allowQueryToken: true });
    const queryTokens = await seed(queryWorld);
    const queryValue = fc.oneof(
      fc.constant([queryTokens.live]),
      fc.constant([queryTokens.live, queryTokens.live]),
      fc.array(fc.string({ maxLength: 20 }), { maxLength: 2 }),
    );
    await fc.assert(
      fc.asyncProperty(labeled(queryTokens), queryValue, async ({ lines, accept }, query) => {
        const outcome = await queryWorld.gate.verifier.verify({
          authorization: lines.length === 1 ? lines[0]! : lines,
          queryToken: query,
        });
        // One place only (RFC 6750 §2): a bearer header and a query token together are refused. A
        // header of another scheme (Basic, "* !") carries no bearer credential: the query decides.
        const header =
          lines.length === 0 ? { kind: "none" } : parseCredentials(lines.length === 1 ? lines[0]! : lines);
        const expected =
          query.length === 0
            ? accept
            : header.kind === "none" && query.length === 1 && query[0] === queryTokens.live;
        expect({ lines, query, ok: outcome.ok }).toEqual({ lines, query, ok: expected });
        if (!outcome.ok) expect(outcome.answer.status).toBeLessThan(500);
      }),
      runs(1_000),
    );
    await queryWorld.gate.close();
    expectNoSecrets(logger.lines, queryWorld.plainTokens, "a log line");
  });
});

/** Header values an HTTP client can put on the wire: visible ASCII, space and tab. */
const onTheWire = (line: string) => /^[\t\x20-\x7E]*$/.test(line);

describe.each(HARNESSES)("through $name", (harness) => {
  let world: World;
  let client: Client;
  let tokens: Tokens;

  beforeAll(async () => {
    world = createWorld();
    tokens = await seed(world);
    client = await harness.start(world);
  });

  afterAll(async () => {
    await client.close();
    expectNoSecretLeaks(world);
    await world.gate.close();
  });

  it("answers each generated header as the core does, and runs no handler without an identity", async () => {
    await fc.assert(
      fc.asyncProperty(
        labeled(tokens).filter(({ lines }) => lines.every(onTheWire)),
        fc.constantFrom(ROUTES.protected, ROUTES.optional, ROUTES.mounted),
        async ({ lines, accept }, route) => {
          const res = await client.send({
            method: "GET",
            path: route,
            headers: lines.map((line) => ["authorization", line] as const),
          });
          expect(res.status).toBeLessThan(500);
          // The optional route lets a request without any credential through, anonymously.
          const anonymous =
            route === ROUTES.optional && res.status === 200 && (res.json as { auth: unknown }).auth === null;
          expect({ lines, route, status: res.status }).toEqual({
            lines,
            route,
            status: accept ? 200 : anonymous ? 200 : expect.any(Number),
          });
          if (!accept && !anonymous) expect([400, 401]).toContain(res.status);
        },
      ),
      runs(150),
    );
    expect(world.runsOf(MOUNTED_RUNS.anonymous)).toBe(0);
  });
});
