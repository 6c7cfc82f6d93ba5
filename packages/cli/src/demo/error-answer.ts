/**
 * What the demo apps answer when something throws past tokengate: a framework's own refusal of a
 * request it could not parse, or a bug. JSON like every other answer of the demo, with a message
 * written here: never the error's own message (it may quote the request) and never a stack.
 */
import { describeCause, type HttpAnswer } from "@tokengate/core";

const JSON_TYPE = "application/json; charset=utf-8";

/** The status a framework error carries (`http-errors`, Hono's HTTPException), when it is a 4xx. */
function clientErrorStatus(error: unknown): number | undefined {
  if (typeof error !== "object" || error === null) return undefined;
  const { status, statusCode } = error as { status?: unknown; statusCode?: unknown };
  const code = typeof status === "number" ? status : statusCode;
  return typeof code === "number" && Number.isInteger(code) && code >= 400 && code < 500 ? code : undefined;
}

// The codes a framework's own 4xx errors get; any other 4xx is `request_refused`.
const CLIENT_ERROR_CODE: Readonly<Record<number, string>> = {
  400: "invalid_request",
  404: "not_found",
  405: "method_not_allowed",
  413: "payload_too_large",
  415: "unsupported_content_type",
};

/**
 * The answer to an error no handler caught: the framework's 4xx with its status and a code for
 * it, anything else as 500 `internal_error`, which is also logged (name and message, no stack).
 */
export function unexpectedErrorAnswer(error: unknown): HttpAnswer {
  const status = clientErrorStatus(error);
  const headers = { "content-type": JSON_TYPE, "cache-control": "no-store" };
  if (status !== undefined) {
    const code = CLIENT_ERROR_CODE[status] ?? "request_refused";
    const message = status === 400 ? "The request is malformed" : `The request was refused (HTTP ${status})`;
    return { status, headers, body: JSON.stringify({ error: code, message }) };
  }
  console.error(`[tokengate demo] unexpected error: ${describeCause(error)}`);
  return {
    status: 500,
    headers,
    body: JSON.stringify({ error: "internal_error", message: "The server could not complete the request" }),
  };
}
