/**
 * From a zod schema's refusal to the one error family: a `validation_failed` error naming each
 * field. The service and the admin router validate through `parseOrFail`.
 */
import type { z } from "zod";
import { type FieldIssue, TokenGateError } from "../errors";

/** Turns zod's issues into `{ field, message }` pairs that name the field the caller sent. */
export function fieldIssues(error: z.ZodError, fallbackField = "body"): FieldIssue[] {
  const issues: FieldIssue[] = [];
  for (const issue of error.issues) {
    const path = issue.path.map(String).join(".");
    if (issue.code === "unrecognized_keys") {
      for (const key of issue.keys) {
        issues.push({ field: path ? `${path}.${key}` : key, message: `Unknown field: ${key}` });
      }
    } else if (issue.code === "invalid_type" && "input" in issue && issue.input === undefined) {
      // zod 4 sets `input` only when parsing with `reportInput`; without it a wrong type is not
      // a missing field, so the schema's own message ("… must be a string") is the one to show.
      issues.push({ field: path || fallbackField, message: `${path || fallbackField} is required` });
    } else {
      issues.push({ field: path || fallbackField, message: issue.message });
    }
  }
  return issues;
}

/** Parses `input` with `schema`; a failure becomes a 400 `validation_failed` naming the fields. */
export function parseOrFail<S extends z.ZodType>(
  schema: S,
  input: unknown,
  fallbackField?: string,
): { ok: true; value: z.output<S> } | { ok: false; error: TokenGateError } {
  // reportInput tells a missing field from a wrong type; the inputs stay inside this function.
  const parsed = schema.safeParse(input, { reportInput: true });
  if (parsed.success) return { ok: true, value: parsed.data };
  const issues = fieldIssues(parsed.error, fallbackField);
  const first = issues[0];
  return {
    ok: false,
    error: new TokenGateError("validation_failed", {
      message: first ? `${first.field}: ${first.message}` : "The request body is invalid",
      issues,
    }),
  };
}

export function fieldError(field: string, message: string): TokenGateError {
  return new TokenGateError("validation_failed", {
    message: `${field}: ${message}`,
    issues: [{ field, message }],
  });
}
