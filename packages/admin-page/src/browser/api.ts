/**
 * Talking to the admin router the page was served by: same origin, the application's own session
 * (cookie or HTTP authentication) riding along. A failure is a value the caller can explain, never
 * a thrown error.
 */

/** The router's API sits one level above the page: `<mount>/ui/app.js` -> `<mount>`. */
const scriptUrl =
  document.currentScript instanceof HTMLScriptElement ? document.currentScript.src : location.href;
export const BASE = scriptUrl.replace(/\/ui\/app\.js(?:[?#].*)?$/, "");

/** The router's answer: status 0 when the server could not be reached at all. */
export interface ApiResult<T = unknown> {
  readonly ok: boolean;
  readonly status: number;
  readonly data: T | null;
  readonly retryAfter: string | null;
}

/** The error body every failure carries (`{ error, message, issues? }`). */
interface ErrorBody {
  readonly error?: unknown;
  readonly message?: unknown;
  readonly issues?: unknown;
}

export async function api<T = unknown>(method: string, path: string, body?: unknown): Promise<ApiResult<T>> {
  const headers: Record<string, string> = { accept: "application/json" };
  const init: RequestInit = { method, credentials: "same-origin", headers };
  if (body !== undefined) {
    headers["content-type"] = "application/json";
    init.body = JSON.stringify(body);
  }
  let response: Response;
  try {
    response = await fetch(BASE + path, init);
  } catch {
    return { ok: false, status: 0, data: null, retryAfter: null };
  }
  let data: T | null = null;
  if (response.status !== 204) {
    try {
      data = (await response.json()) as T;
    } catch {
      data = null;
    }
  }
  return { ok: response.ok, status: response.status, data, retryAfter: response.headers.get("retry-after") };
}

/** The error body of a failed call, when it has one. */
export function errorBody(result: ApiResult): ErrorBody {
  return result.data !== null && typeof result.data === "object" ? (result.data as ErrorBody) : {};
}

export function serverMessage(result: ApiResult): string {
  const { message } = errorBody(result);
  return typeof message === "string" ? message : "";
}

function seconds(result: ApiResult, fallback: number): number {
  const n = Number(result.retryAfter);
  return Number.isFinite(n) && n > 0 ? n : fallback;
}

/** A failed call, said in words a person can act on. */
export function explain(result: ApiResult): string {
  const code = errorBody(result).error;
  switch (true) {
    case result.status === 0:
      return "The server could not be reached, so nothing was changed. Check your connection, then try again.";
    case result.status === 401:
      return "You are not signed in (or your session has ended), so the server refused (HTTP 401). Sign in to the application in this browser, then press Try again.";
    case code === "csrf_rejected":
      return "The server refused the request because it did not come from this page (HTTP 403, a protection against forged requests from other sites). Reload this page and try again.";
    case result.status === 403:
      return (
        "You are not allowed to do that (HTTP 403): " +
        (serverMessage(result) || "permission denied") +
        ". A team's admins manage its tokens; ask one if you need this."
      );
    case result.status === 404:
      return "That token no longer exists: it may have been deleted or rotated elsewhere. The list has been refreshed.";
    case result.status === 429:
      return "Too many requests. Wait " + seconds(result, 10) + " seconds, then try again.";
    case result.status >= 500:
      return (
        "The token service is unavailable right now (HTTP " +
        result.status +
        "), so nothing was changed. Try again in " +
        seconds(result, 5) +
        " seconds."
      );
    default:
      return serverMessage(result) || "The request failed (HTTP " + result.status + ").";
  }
}
