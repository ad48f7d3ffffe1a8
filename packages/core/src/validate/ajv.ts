import { Ajv, type ErrorObject, type Options, type ValidateFunction } from "ajv";
import { actionSchema } from "../schema/action-schema.js";
import { validateAction, validateWorkflow } from "../schema/validators.generated.js";
import { workflowSchema } from "../schema/workflow-schema.js";

/** Options shared by the validators compiled ahead of time and those compiled at run time. */
export function newAjv(extra: Options = {}): Ajv {
  const ajv = new Ajv({ allErrors: true, allowUnionTypes: true, strict: false, verbose: true, ...extra });
  // A secret input is a string shown as a password field; the format only informs forms.
  ajv.addFormat("password", true);
  return ajv;
}

let instance: Ajv | undefined;

export function ajv(): Ajv {
  instance ??= newAjv();
  return instance;
}

// The file formats' schemas are compiled at build time (scripts/write-schemas.mjs); a test checks that
// the generated code matches the schemas, so these can be trusted to be the same rules.
const compiled = new WeakMap<object, ValidateFunction>([
  [workflowSchema, validateWorkflow as unknown as ValidateFunction],
  [actionSchema, validateAction as unknown as ValidateFunction],
]);

export function compile(schema: object): ValidateFunction {
  let fn = compiled.get(schema);
  if (!fn) {
    fn = ajv().compile(schema);
    compiled.set(schema, fn);
  }
  return fn;
}

export type { ErrorObject };
