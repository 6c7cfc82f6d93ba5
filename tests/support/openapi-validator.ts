/**
 * Validates an OpenAPI document with @seriousme/openapi-schema-validator (the OpenAPI Initiative's
 * published JSON schemas for 3.0, 3.1 and 3.2, checked with Ajv), plus its check that every `$ref`
 * resolves. The validator is ESM only and reads its schemas through `import.meta.url`, which jest's
 * CommonJS runtime cannot load, so it runs in a child Node process: the document goes in on stdin,
 * the verdict comes back as JSON.
 */
import { spawn } from "node:child_process";

const VALIDATE = `
import { Validator } from "@seriousme/openapi-schema-validator";
let text = "";
for await (const chunk of process.stdin) text += chunk;
const validator = new Validator();
const result = await validator.validate(JSON.parse(text));
let refs = null;
if (result.valid) {
  try { validator.resolveRefs(); } catch (error) { refs = String(error && error.message || error); }
}
process.stdout.write(JSON.stringify({ valid: result.valid && refs === null, version: validator.version, errors: result.errors ?? refs }));
`;

export interface OpenApiVerdict {
  readonly valid: boolean;
  /** The OpenAPI version the validator read, e.g. "3.1". */
  readonly version: string;
  readonly errors: unknown;
}

export function validateOpenApi(document: unknown): Promise<OpenApiVerdict> {
  return new Promise((done, fail) => {
    const child = spawn(process.execPath, ["--input-type=module", "-e", VALIDATE], {
      cwd: __dirname,
      stdio: ["pipe", "pipe", "pipe"],
    });
    let out = "";
    let err = "";
    child.stdout.on("data", (chunk: Buffer) => {
      out += chunk.toString();
    });
    child.stderr.on("data", (chunk: Buffer) => {
      err += chunk.toString();
    });
    child.once("error", fail);
    child.once("exit", (code) => {
      if (code !== 0) return fail(new Error(`the OpenAPI validator exited with ${code}: ${err}`));
      done(JSON.parse(out) as OpenApiVerdict);
    });
    child.stdin.end(JSON.stringify(document));
  });
}
