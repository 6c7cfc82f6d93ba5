/** What the demo answers for an error no route handled: a framework's 4xx kept, anything else 500. */
import { unexpectedErrorAnswer } from "./error-answer";

describe("unexpectedErrorAnswer", () => {
  let logged: string[];
  let spy: jest.SpyInstance;

  beforeEach(() => {
    logged = [];
    spy = jest.spyOn(console, "error").mockImplementation((line: string) => {
      logged.push(line);
    });
  });

  afterEach(() => spy.mockRestore());

  it("keeps a framework's 4xx, with a message of its own rather than the error's", () => {
    // What Express throws for /%zz: an http-errors 400 whose message quotes the request.
    const decode = Object.assign(new URIError("Failed to decode param '%zz'"), { status: 400, expose: true });
    const answer = unexpectedErrorAnswer(decode);
    expect(answer.status).toBe(400);
    expect(answer.headers["content-type"]).toBe("application/json; charset=utf-8");
    expect(JSON.parse(answer.body!)).toEqual({
      error: "invalid_request",
      message: "The request is malformed",
    });
    expect(unexpectedErrorAnswer({ statusCode: 413 }).status).toBe(413);
    expect(JSON.parse(unexpectedErrorAnswer({ status: 404 }).body!)).toMatchObject({ error: "not_found" });
    expect(JSON.parse(unexpectedErrorAnswer({ status: 418 }).body!)).toMatchObject({
      error: "request_refused",
    });
    expect(logged).toEqual([]);
  });

  it("answers anything else 500 without its message or stack, and logs it without the stack", () => {
    const bug = new TypeError("Cannot read properties of undefined (reading 'userId')");
    const answer = unexpectedErrorAnswer(bug);
    expect(answer.status).toBe(500);
    expect(JSON.parse(answer.body!)).toEqual({
      error: "internal_error",
      message: "The server could not complete the request",
    });
    expect(answer.body).not.toContain("userId");
    expect(logged).toEqual([
      "[tokengate demo] unexpected error: TypeError: Cannot read properties of undefined (reading 'userId')",
    ]);
    for (const odd of [{ status: 503 }, { status: "400" }, null, "text"]) {
      expect(unexpectedErrorAnswer(odd).status).toBe(500);
    }
  });
});
