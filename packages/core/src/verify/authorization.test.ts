import {
  type AuthorizationInput,
  accessTokensFromUrl,
  authorizationFromRawHeaders,
  type CredentialParse,
  parseCredentials,
} from "./authorization";

const TOKEN = "api_0123456789abcdef";
const token = (value: string): CredentialParse => ({ kind: "token", token: value });
const none: CredentialParse = { kind: "none" };

/** Only the kind is compared for malformed input: the reasons are prose, not contract. */
function shape(parsed: CredentialParse): CredentialParse | { kind: "malformed" } {
  return parsed.kind === "malformed" ? { kind: "malformed" } : parsed;
}
const malformed = { kind: "malformed" } as const;

describe("parseCredentials: one Authorization header", () => {
  const cases: ReadonlyArray<[string, AuthorizationInput, CredentialParse | typeof malformed]> = [
    // Absent.
    ["no header", undefined, none],
    ["null header", null, none],
    ["an empty list of headers", [], none],

    // RFC 6750 §2.1 and RFC 9110 §11.1: the scheme is case-insensitive.
    ["Bearer", `Bearer ${TOKEN}`, token(TOKEN)],
    ["bearer", `bearer ${TOKEN}`, token(TOKEN)],
    ["BEARER", `BEARER ${TOKEN}`, token(TOKEN)],
    ["bEaReR", `bEaReR ${TOKEN}`, token(TOKEN)],

    // Documenso's v1 API documents the token alone as the header value.
    ["the raw Documenso form", TOKEN, token(TOKEN)],
    ["the raw form with surrounding spaces", `  ${TOKEN}  `, token(TOKEN)],

    // Optional whitespace around a field value is SP / HTAB (RFC 9110 §5.5).
    ["leading and trailing SP", `   Bearer ${TOKEN}   `, token(TOKEN)],
    ["leading and trailing HTAB", `\tBearer ${TOKEN}\t`, token(TOKEN)],
    ["mixed SP and HTAB around the value", ` \t Bearer ${TOKEN} \t `, token(TOKEN)],
    // credentials = auth-scheme [ 1*SP token68 ]: several spaces are one separator.
    ["two spaces after the scheme", `Bearer  ${TOKEN}`, token(TOKEN)],
    ["many spaces after the scheme", `Bearer          ${TOKEN}`, token(TOKEN)],
    // ...but the separator is SP only: a tab there is not the grammar.
    ["a tab between scheme and token", `Bearer\t${TOKEN}`, malformed],
    ["a space and a tab between scheme and token", `Bearer \t${TOKEN}`, malformed],

    // The b64token grammar: ALPHA / DIGIT / "-" / "." / "_" / "~" / "+" / "/", then "=" padding.
    ["every b64token character", "Bearer aZ09-._~+/", token("aZ09-._~+/")],
    ["one trailing = of padding", "Bearer abc=", token("abc=")],
    ["two trailing = of padding", "Bearer abc==", token("abc==")],
    ["raw form with padding", "abc==", token("abc==")],
    ["= in the middle", "Bearer ab=c", malformed],
    ["only padding", "Bearer ==", malformed],
    ["a quote", 'Bearer "abc"', malformed],
    ["a colon", "Bearer ab:cd", malformed],
    ["a semicolon", "Bearer abc;", malformed],
    ["a backslash", "Bearer ab\\c", malformed],
    ["non-ASCII letters", "Bearer api_ünïcödé0123456", malformed],
    ["an emoji", "Bearer api_0123456789abcde🙂", malformed],
    ["a raw non-ASCII token", "tökén", malformed],
    ["a NUL byte", "Bearer abc\u0000def", malformed],

    // Nothing to authenticate with.
    ["an empty value", "", malformed],
    ["only whitespace", " \t ", malformed],
    ["a lone Bearer", "Bearer", malformed],
    ["a lone lowercase bearer", "bearer", malformed],
    ["Bearer followed by spaces", "Bearer    ", malformed],
    ["Bearer followed by a tab", "Bearer\t", malformed],

    // Exactly one credential.
    ["two tokens after Bearer", `Bearer ${TOKEN} ${TOKEN}`, malformed],
    ["comma-joined Bearer values", `Bearer ${TOKEN}, Bearer ${TOKEN}`, malformed],
    ["comma-joined without a space", `Bearer ${TOKEN},Bearer ${TOKEN}`, malformed],
    ["Bearer then another scheme, comma-joined", `Bearer ${TOKEN}, Basic dXNlcjpwYXNz`, malformed],
    ["another scheme then Bearer, comma-joined", `Basic dXNlcjpwYXNz, Bearer ${TOKEN}`, malformed],
    ["another scheme then bearer, no space", `Basic dXNlcjpwYXNz,bearer ${TOKEN}`, malformed],
    ["Bearer then an auth-param", `Bearer ${TOKEN}, realm="x"`, malformed],
    ["raw tokens joined by a comma", `${TOKEN},${TOKEN}`, malformed],
    ["raw tokens joined by a comma and space", `${TOKEN}, ${TOKEN}`, malformed],

    // Another scheme is "no bearer credential": RFC 6750 §3.1 answers it with a bare challenge.
    ["Basic", "Basic dXNlcjpwYXNz", none],
    ["Digest", 'Digest username="ada", realm="api", nonce="abc"', none],
    ["Token (GitHub's legacy scheme)", `Token ${TOKEN}`, none],
    ["ApiKey", `ApiKey ${TOKEN}`, none],
    ["Bearer as a prefix of a longer scheme", `BearerToken ${TOKEN}`, none],
    ["a scheme that is not an RFC 9110 token", `Bea(rer ${TOKEN}`, malformed],

    // A header array carries every field line the request sent.
    ["one header in an array", [`Bearer ${TOKEN}`], token(TOKEN)],
    ["two Bearer headers", [`Bearer ${TOKEN}`, `Bearer ${TOKEN}`], malformed],
    ["a Bearer and a Basic header", [`Bearer ${TOKEN}`, "Basic dXNlcjpwYXNz"], malformed],
    ["two Basic headers", ["Basic a", "Basic b"], malformed],
    ["two empty headers", ["", ""], malformed],
  ];

  it.each(cases)("%s", (_name, header, expected) => {
    expect(shape(parseCredentials(header))).toEqual(expected);
  });

  it("accepts a very long b64token and leaves its shape to the token format", () => {
    const long = "a".repeat(64 * 1024);
    expect(parseCredentials(`Bearer ${long}`)).toEqual(token(long));
  });

  it("answers a very long garbage header quickly (no regex backtracking blow-up)", () => {
    const hostile = `Bearer ${"a".repeat(100_000)}=${"a".repeat(100_000)}!`;
    const started = process.hrtime.bigint();
    expect(shape(parseCredentials(hostile))).toEqual(malformed);
    // A generous bound: linear parsing takes well under a millisecond here.
    expect(Number(process.hrtime.bigint() - started) / 1e6).toBeLessThan(500);
  });

  it("never echoes the token in a malformed reason", () => {
    for (const header of [`Bearer ${TOKEN} ${TOKEN}`, `Bearer ${TOKEN}"`, [`Bearer ${TOKEN}`, TOKEN]]) {
      const parsed = parseCredentials(header);
      expect(parsed.kind).toBe("malformed");
      if (parsed.kind === "malformed") expect(parsed.reason).not.toContain(TOKEN);
    }
  });
});

describe("parseCredentials: the access_token query parameter", () => {
  const cases: ReadonlyArray<
    [
      string,
      AuthorizationInput,
      string | readonly string[] | null | undefined,
      CredentialParse | typeof malformed,
    ]
  > = [
    ["one query token", undefined, TOKEN, token(TOKEN)],
    ["one query token in an array", undefined, [TOKEN], token(TOKEN)],
    ["an empty array of query tokens", undefined, [], none],
    ["a null query token", undefined, null, none],
    ["two query tokens", undefined, [TOKEN, TOKEN], malformed],
    ["an empty query token", undefined, "", malformed],
    ["a query token that is not a b64token", undefined, "api token", malformed],
    // RFC 6750 §2: a client MUST NOT use more than one method to transmit the token.
    ["a query token and a Bearer header", `Bearer ${TOKEN}`, TOKEN, malformed],
    ["a query token and a raw header", TOKEN, TOKEN, malformed],
    ["a query token and a malformed header", "Bearer", TOKEN, malformed],
    // Another scheme carries no bearer credential, so the query one is the only one.
    ["a query token and a Basic header", "Basic dXNlcjpwYXNz", TOKEN, token(TOKEN)],
    ["a header and an empty list of query tokens", `Bearer ${TOKEN}`, [], token(TOKEN)],
    ["two headers and a query token", [`Bearer ${TOKEN}`, `Bearer ${TOKEN}`], TOKEN, malformed],
  ];

  it.each(cases)("%s", (_name, header, query, expected) => {
    expect(shape(parseCredentials(header, query))).toEqual(expected);
  });
});

describe("accessTokensFromUrl", () => {
  const cases: ReadonlyArray<[string, string, string[]]> = [
    ["a path without a query", "/documents", []],
    ["a query without access_token", "/documents?page=2", []],
    ["one access_token", `/documents?access_token=${TOKEN}`, [TOKEN]],
    ["one among other parameters", `/documents?page=2&access_token=${TOKEN}&sort=asc`, [TOKEN]],
    ["two access_token parameters", "/d?access_token=a&access_token=b", ["a", "b"]],
    ["an empty access_token", "/d?access_token=", [""]],
    ["an absolute URL", `https://api.example.com/d?access_token=${TOKEN}`, [TOKEN]],
    // application/x-www-form-urlencoded, as RFC 6750 §2.3 requires.
    ["a percent-encoded value", "/d?access_token=abc%2B%2F%3D", ["abc+/="]],
    ["a percent-encoded name", `/d?access%5Ftoken=${TOKEN}`, [TOKEN]],
    ["a name that only contains access_token", `/d?my_access_token=${TOKEN}`, []],
    ["access_token in the path, not the query", "/access_token/x?page=1", []],
  ];

  it.each(cases)("%s", (_name, url, expected) => {
    expect(accessTokensFromUrl(url)).toEqual(expected);
  });
});

describe("authorizationFromRawHeaders", () => {
  const cases: ReadonlyArray<[string, string[], AuthorizationInput]> = [
    ["no headers", [], undefined],
    ["no Authorization header", ["Host", "api.example.com", "Accept", "*/*"], undefined],
    ["one Authorization", ["Host", "x", "Authorization", `Bearer ${TOKEN}`], `Bearer ${TOKEN}`],
    ["lowercase name", ["authorization", "Bearer a"], "Bearer a"],
    ["uppercase name", ["AUTHORIZATION", "Bearer a"], "Bearer a"],
    ["mixed-case name", ["aUtHoRiZaTiOn", "Bearer a"], "Bearer a"],
    [
      "two, in the order sent",
      ["Authorization", "Bearer a", "authorization", "Bearer b"],
      ["Bearer a", "Bearer b"],
    ],
    [
      "three, with other headers between",
      ["Authorization", "a", "Accept", "*/*", "AUTHORIZATION", "b", "authorization", "c"],
      ["a", "b", "c"],
    ],
    ["an empty value is still a header", ["Authorization", ""], ""],
    ["a look-alike name", ["Proxy-Authorization", "Bearer a", "X-Authorization", "Bearer b"], undefined],
    // rawHeaders alternates names and values: a value spelled like the name is not a name.
    ["a value spelled like the name", ["X-Note", "authorization", "Accept", "*/*"], undefined],
  ];

  it.each(cases)("%s", (_name, raw, expected) => {
    expect(authorizationFromRawHeaders(raw)).toEqual(expected);
  });

  it("feeds duplicates to parseCredentials as two credentials", () => {
    const raw = ["Authorization", `Bearer ${TOKEN}`, "authorization", `Bearer ${TOKEN}`];
    expect(parseCredentials(authorizationFromRawHeaders(raw)).kind).toBe("malformed");
  });
});
