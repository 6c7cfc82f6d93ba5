/**
 * The admin router and the protected route as a signed-in user or a client would call them, over
 * any harness's client. Keeps the lifecycle tests about behaviour rather than request plumbing.
 */
import { type BehaviourResponse, type Client, ROUTES, SESSION_HEADER } from "./harnesses";

const JSON_TYPE: [string, string] = ["content-type", "application/json"];

const session = (userId: number | null): Array<[string, string]> =>
  userId === null ? [] : [[SESSION_HEADER, String(userId)]];

export interface AdminApi {
  create(userId: number | null, body: unknown): Promise<BehaviourResponse>;
  list(userId: number | null, query?: string): Promise<BehaviourResponse>;
  /** The security log: `GET /api-tokens/events` with the query as given (`?teamId=…`). */
  events(
    userId: number | null,
    query?: string,
    headers?: Array<[string, string]>,
  ): Promise<BehaviourResponse>;
  remove(userId: number | null, id: number | string): Promise<BehaviourResponse>;
  /** `body` undefined sends no body at all. */
  rotate(userId: number | null, id: number | string, body?: unknown): Promise<BehaviourResponse>;
  /** Sends a body as is, with the given content type. */
  raw(
    userId: number | null,
    path: string,
    contentType: string | null,
    body: string,
  ): Promise<BehaviourResponse>;
  /** Calls a protected route with the token as a Bearer credential. */
  use(token: string, route?: string): Promise<BehaviourResponse>;
}

export function adminApi(client: Client): AdminApi {
  return {
    create: (userId, body) =>
      client.send({
        method: "POST",
        path: "/api-tokens",
        headers: [...session(userId), JSON_TYPE],
        body: JSON.stringify(body),
      }),
    list: (userId, query = "") =>
      client.send({ method: "GET", path: `/api-tokens${query}`, headers: session(userId) }),
    events: (userId, query = "", headers = []) =>
      client.send({
        method: "GET",
        path: `/api-tokens/events${query}`,
        headers: [...session(userId), ...headers],
      }),
    remove: (userId, id) =>
      client.send({ method: "DELETE", path: `/api-tokens/${id}`, headers: session(userId) }),
    rotate: (userId, id, body) =>
      client.send({
        method: "POST",
        path: `/api-tokens/${id}/rotate`,
        headers: body === undefined ? session(userId) : [...session(userId), JSON_TYPE],
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      }),
    raw: (userId, path, contentType, body) =>
      client.send({
        method: "POST",
        path,
        headers: contentType === null ? session(userId) : [...session(userId), ["content-type", contentType]],
        body,
      }),
    use: (token, route = ROUTES.protected) =>
      client.send({ method: "GET", path: route, headers: [["authorization", `Bearer ${token}`]] }),
  };
}

/** The identity a protected route answered, or throws with the status when it refused. */
export function identityOf(response: BehaviourResponse): {
  tokenId: number;
  tokenName: string;
  userId: number;
  teamId: number | null;
  scopes: string[];
  expiresAt: string | null;
} {
  if (response.status !== 200) throw new Error(`expected 200, got ${response.status}: ${response.body}`);
  return (response.json as { auth: ReturnType<typeof identityOf> }).auth;
}

/** The body of a 201 create or rotate. */
export function mintedOf(response: BehaviourResponse): { id: number; token: string } {
  if (response.status !== 201) throw new Error(`expected 201, got ${response.status}: ${response.body}`);
  return response.json as { id: number; token: string };
}

/** The `{ error, message, issues }` body of a refusal. */
export function failureOf(response: BehaviourResponse): {
  error: string;
  message: string;
  issues?: Array<{ field: string; message: string }>;
} {
  return response.json as ReturnType<typeof failureOf>;
}
