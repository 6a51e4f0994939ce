/**
 * The Compose specification's JSON schema, validated with ajv. The schema file comes from the npm package
 * `dclint` (it ships the compose-spec repository's `compose-spec.json`, Apache-2.0), so it updates with npm.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { Ajv, type ValidateFunction } from 'ajv';
import type { Problem } from './problem';

let validate: ValidateFunction | undefined;

function composeSchemaValidator(): ValidateFunction {
  if (validate) return validate;
  // dclint exports only its code; its package.json is exported, and the schema sits beside it.
  const file = path.join(path.dirname(require.resolve('dclint/package.json')), 'schemas', 'compose.schema.json');
  const schema = JSON.parse(readFileSync(file, 'utf8')) as object;
  // strict: false as the schema uses keywords ajv does not know (e.g. `deprecated`); validateSchema: false as it
  // names its draft-07 meta-schema by an https URL ajv does not register.
  validate = new Ajv({ allErrors: true, strict: false, validateSchema: false }).compile(schema);
  return validate;
}

/** Schema violations of a parsed (not yet interpolated) compose document, one problem each. */
export function checkComposeSchema(doc: unknown, file: string): Problem[] {
  const check = composeSchemaValidator();
  if (check(doc)) return [];
  return (check.errors ?? []).map((e) => ({
    file,
    where: e.instancePath.slice(1).replaceAll('/', '.') || '(top level)',
    message: `${e.message ?? 'is invalid'} (compose-spec ${e.schemaPath})`,
  }));
}
