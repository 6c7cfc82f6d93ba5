/**
 * The port through which the core reads a request's headers: it names the header it needs and the
 * adapter answers. The cross-site check asks for `origin`, `host`, `sec-fetch-site`,
 * `x-forwarded-proto` and `x-forwarded-host`; the verifier and the security log for
 * `x-forwarded-for` and `user-agent`. No adapter decides which headers matter.
 */

/**
 * A request's headers, asked for by lowercase name: the value as sent, undefined when absent, `""`
 * when empty, repeated fields joined with ", " as Node and fetch join them.
 */
export interface RequestHeaders {
  header(name: string): string | undefined;
}
