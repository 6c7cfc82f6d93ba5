import {
  type AuthErrorCode,
  adminFailureAnswer,
  assertRealm,
  authFailureAnswer,
  bearerChallenge,
  jsonAnswer,
  TokenGateError,
  type TokenGateErrorCode,
} from "./errors";

const JSON_TYPE = "application/json; charset=utf-8";

describe("authFailureAnswer: every failure of the authentication middleware", () => {
  const cases: ReadonlyArray<
    [
      AuthErrorCode,
      ConstructorParameters<typeof TokenGateError>[1],
      number,
      string | undefined,
      string | undefined,
    ]
  > = [
    ["missing_credentials", {}, 401, 'Bearer realm="api"', undefined],
    ["invalid_request", {}, 400, 'Bearer realm="api", error="invalid_request"', undefined],
    ["invalid_token", {}, 401, 'Bearer realm="api", error="invalid_token"', undefined],
    ["owner_disabled", {}, 401, 'Bearer realm="api", error="invalid_token"', undefined],
    [
      "token_expired",
      {},
      401,
      'Bearer realm="api", error="invalid_token", error_description="The access token expired"',
      undefined,
    ],
    [
      "insufficient_scope",
      { scopes: ["documents:read", "documents:write"] },
      403,
      'Bearer realm="api", error="insufficient_scope", scope="documents:read documents:write"',
      undefined,
    ],
    ["rate_limited", { retryAfter: 12 }, 429, undefined, "12"],
    ["store_unavailable", { retryAfter: 5 }, 503, undefined, "5"],
  ];

  it.each(cases)("%s → %#", (code, details, status, challenge, retryAfter) => {
    const error = new TokenGateError(code, details);
    const answer = authFailureAnswer(error, "api");
    expect(answer.status).toBe(status);
    expect(answer.headers["www-authenticate"]).toBe(challenge);
    expect(answer.headers["retry-after"]).toBe(retryAfter);
    expect(answer.headers["content-type"]).toBe(JSON_TYPE);
    // No proxy or browser may keep an authentication failure.
    expect(answer.headers["cache-control"]).toBe("no-store");
    const body = JSON.parse(answer.body ?? "");
    expect(body.error).toBe(code);
    expect(typeof body.message).toBe("string");
    expect(body.message.length).toBeGreaterThan(0);
  });

  it("gives every 401 a WWW-Authenticate challenge (RFC 9110 §15.5.2)", () => {
    for (const [code] of cases) {
      const answer = authFailureAnswer(new TokenGateError(code), "api");
      if (answer.status === 401) expect(answer.headers["www-authenticate"]).toMatch(/^Bearer realm="api"/);
    }
  });

  it.each([
    ["missing_credentials", { error: "missing_credentials", message: expect.stringContaining("Bearer") }],
    ["token_expired", { error: "token_expired", message: "The access token expired" }],
    ["owner_disabled", { error: "owner_disabled", message: "The access token's owner is disabled" }],
    [
      "store_unavailable",
      { error: "store_unavailable", message: "Authentication is temporarily unavailable" },
    ],
  ] as const)("has the stable body of %s", (code, body) => {
    expect(JSON.parse(authFailureAnswer(new TokenGateError(code), "api").body ?? "")).toEqual(body);
  });

  it("puts the required scopes in the body too", () => {
    const answer = authFailureAnswer(new TokenGateError("insufficient_scope", { scopes: ["a", "b"] }), "api");
    expect(JSON.parse(answer.body ?? "")).toEqual({
      error: "insufficient_scope",
      message: "The access token lacks a required scope",
      scope: "a b",
    });
  });

  it("carries the request's reason for invalid_request", () => {
    const error = new TokenGateError("invalid_request", { message: "Exactly one credential is allowed" });
    expect(JSON.parse(authFailureAnswer(error, "api").body ?? "")).toEqual({
      error: "invalid_request",
      message: "Exactly one credential is allowed",
    });
  });

  it.each([
    [12, "12"],
    [0.2, "1"],
    [2.5, "3"],
    [0, "0"],
    [-3, "0"],
  ])("writes Retry-After %d as %j whole seconds", (retryAfter, header) => {
    const answer = authFailureAnswer(new TokenGateError("rate_limited", { retryAfter }), "api");
    expect(answer.headers["retry-after"]).toBe(header);
  });

  it("uses the configured realm", () => {
    const answer = authFailureAnswer(new TokenGateError("invalid_token"), "Acme API v1");
    expect(answer.headers["www-authenticate"]).toBe('Bearer realm="Acme API v1", error="invalid_token"');
  });
});

describe("bearerChallenge", () => {
  it("omits scope when insufficient_scope names none", () => {
    expect(bearerChallenge("api", new TokenGateError("insufficient_scope"))).toBe(
      'Bearer realm="api", error="insufficient_scope"',
    );
  });

  it("gives a bare challenge for codes RFC 6750 has no error for", () => {
    for (const code of ["missing_credentials", "rate_limited", "store_unavailable"] as const) {
      expect(bearerChallenge("api", new TokenGateError(code))).toBe('Bearer realm="api"');
    }
  });
});

describe("adminFailureAnswer", () => {
  it.each([
    ["unauthenticated", 401, "Sign in to manage API tokens"],
    ["forbidden", 403, "You are not allowed to do that"],
    ["request_timeout", 408, "The request body did not arrive in time"],
    ["not_found", 404, "No such token"],
    ["validation_failed", 400, "The request body is invalid"],
    ["invalid_json", 400, "The request body is not valid JSON"],
    ["unsupported_content_type", 400, "Send the request body as application/json"],
    ["payload_too_large", 413, "The request body is too large"],
  ] as const)("%s → %d with a JSON body and no bearer challenge", (code, status, message) => {
    const answer = adminFailureAnswer(new TokenGateError(code));
    expect(answer.status).toBe(status);
    expect(answer.headers["www-authenticate"]).toBeUndefined();
    expect(answer.headers["cache-control"]).toBe("no-store");
    expect(JSON.parse(answer.body ?? "")).toEqual({ error: code, message });
  });

  it("lists the fields of a validation failure", () => {
    const error = new TokenGateError("validation_failed", {
      message: "tokenName: tokenName is required",
      issues: [{ field: "tokenName", message: "tokenName is required" }],
    });
    expect(JSON.parse(adminFailureAnswer(error).body ?? "")).toEqual({
      error: "validation_failed",
      message: "tokenName: tokenName is required",
      issues: [{ field: "tokenName", message: "tokenName is required" }],
    });
  });

  it.each([
    [5, "5"],
    [0.4, "1"],
    [-2, "0"],
  ])("writes Retry-After %d as %j", (retryAfter, header) => {
    const answer = adminFailureAnswer(new TokenGateError("store_unavailable", { retryAfter }));
    expect(answer.status).toBe(503);
    expect(answer.headers["retry-after"]).toBe(header);
  });
});

describe("jsonAnswer", () => {
  it("serialises the value with the JSON type, no-store and extra headers", () => {
    expect(jsonAnswer(201, { id: 1 }, { location: "/api-tokens/1" })).toEqual({
      status: 201,
      headers: { "content-type": JSON_TYPE, "cache-control": "no-store", location: "/api-tokens/1" },
      body: '{"id":1}',
    });
  });
});

describe("TokenGateError", () => {
  it("is an Error with a stable code, a status, and the cause it was given", () => {
    const cause = new Error("connect ECONNREFUSED");
    const error = new TokenGateError("store_unavailable", { cause, retryAfter: 5 });
    expect(error).toBeInstanceOf(Error);
    expect(error.name).toBe("TokenGateError");
    expect(error.code).toBe("store_unavailable");
    expect(error.status).toBe(503);
    expect(error.cause).toBe(cause);
    expect(error.retryAfter).toBe(5);
  });

  it("has a status for every code", () => {
    const codes: TokenGateErrorCode[] = [
      "missing_credentials",
      "invalid_request",
      "invalid_token",
      "owner_disabled",
      "token_expired",
      "insufficient_scope",
      "rate_limited",
      "store_unavailable",
      "unauthenticated",
      "forbidden",
      "request_timeout",
      "not_found",
      "validation_failed",
      "invalid_json",
      "unsupported_content_type",
      "payload_too_large",
      "internal_error",
    ];
    for (const code of codes) expect(new TokenGateError(code).status).toBeGreaterThanOrEqual(400);
  });
});

describe("assertRealm", () => {
  it.each([["api"], [""], ["Acme API v1"], ["example.com/api"], ["a!#$%&'()*+,-./:;<=>?@[]^_`{|}~"]])(
    "accepts %j",
    (realm) => {
      expect(assertRealm(realm)).toBe(realm);
    },
  );

  it.each([['a"b'], ["a\\b"], ["new\nline"], ["tab\there"], ["ünïcödé"], ["\u007f"]])(
    "refuses %j",
    (realm) => {
      expect(() => assertRealm(realm)).toThrow(TypeError);
    },
  );
});
