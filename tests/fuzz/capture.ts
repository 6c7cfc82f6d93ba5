/**
 * What the fuzz suite watches besides statuses: every log line the gate writes (through a
 * capturing logger) and every answer, searched for any token the run minted and its digest.
 */
import { createHash } from "node:crypto";
import type { HttpAnswer, Logger } from "@tokengate/core";

export const sha512 = (token: string): string => createHash("sha512").update(token).digest("hex");

/** A logger that keeps every line, with its metadata, as the text a log file would hold. */
export function capturingLogger(): Logger & { readonly lines: string[] } {
  const lines: string[] = [];
  const keep = (level: string) => (message: string, meta?: Record<string, unknown>) => {
    lines.push(`${level} ${message} ${meta === undefined ? "" : JSON.stringify(meta)}`);
  };
  return { lines, warn: keep("warn"), error: keep("error"), info: keep("info") };
}

/** The whole of an answer as text: status, every header, the body. */
export function answerText(answer: HttpAnswer): string {
  return `${answer.status} ${JSON.stringify(answer.headers)} ${answer.body ?? ""}`;
}

/**
 * Throws when a text holds a token or a token's digest. Callers leave out the one answer that may
 * show a token: the 201 that minted it.
 */
export function expectNoSecrets(texts: Iterable<string>, tokens: Iterable<string>, where: string): void {
  const secrets = [...tokens].flatMap((token) => [token, sha512(token)]);
  for (const text of texts) {
    for (const secret of secrets) {
      if (text.includes(secret)) {
        const kind = secret.length === 128 ? "a token's digest" : "a token";
        throw new Error(`${kind} appeared in ${where}: ${text.slice(0, 200)}`);
      }
    }
  }
}
