/**
 * The spellings of a path under a gated prefix, and the methods, that issue 12's reviewer sent
 * (and a few more): every harness and every demo app must answer them without running a handler
 * that has no identity.
 */

/** The prefix-mounted route, spelled every way a client might, and the reviewer did. */
export const PATH_VARIANTS = [
  "/api/v1/me",
  "/API/v1/me",
  "/Api/V1/Me",
  "/api/v1/me/",
  "/api/v1/me//",
  "/api//v1/me",
  "//api/v1/me",
  "/api/./v1/me",
  "/api/x/../v1/me",
  "/x/../api/v1/me",
  "/api/v1/%6De",
  "/%61pi/v1/me",
  "/%41PI/v1/me",
  "/api%2Fv1%2Fme",
  "/api/v1/me%2F",
  "/api/v1/me;x=1",
  "/api/v1/me%00",
  "/api/v1/me%20",
  "/api/v1/me?x=1",
  "/api/%",
  "/api/%zz",
  "/api",
  "/api/",
  "/API",
  "/api/unknown",
] as const;

/** Every method the reviewer tried, and then some: all reach a Node server as sent. */
export const METHOD_VARIANTS = [
  "GET",
  "HEAD",
  "POST",
  "PUT",
  "PATCH",
  "DELETE",
  "OPTIONS",
  "PROPFIND",
  "PURGE",
];
