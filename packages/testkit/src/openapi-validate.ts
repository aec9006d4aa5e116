import { execFile } from 'node:child_process';

export interface OpenApiValidation {
  valid: boolean;
  errors: unknown;
}

// The validator is an ES module (jest runs CommonJS): run it in a child Node that reads the document on stdin.
const SCRIPT = `
import { Validator } from '@seriousme/openapi-schema-validator';
let text = '';
for await (const chunk of process.stdin) text += chunk;
const result = await new Validator().validate(JSON.parse(text));
process.stdout.write(JSON.stringify({ valid: result.valid, errors: result.errors ?? null }));
`;

/** Validates a document against the official OpenAPI (3.0/3.1) JSON Schemas (@seriousme/openapi-schema-validator). */
export function validateOpenApi(document: unknown): Promise<OpenApiValidation> {
  return new Promise((resolve, reject) => {
    const child = execFile(process.execPath, ['--input-type=module', '-e', SCRIPT], { cwd: __dirname, timeout: 30_000 }, (err, stdout, stderr) => {
      if (err) return reject(new Error(`openapi validator failed: ${err.message}\n${stderr}`));
      resolve(JSON.parse(stdout) as OpenApiValidation);
    });
    child.stdin!.end(JSON.stringify(document));
  });
}
