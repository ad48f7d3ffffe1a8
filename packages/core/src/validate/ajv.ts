import { Ajv, type ErrorObject, type ValidateFunction } from "ajv";

// One instance: Ajv compiles each schema to a function once, which is most of its cost.
let instance: Ajv | undefined;

export function ajv(): Ajv {
  if (!instance) {
    instance = new Ajv({ allErrors: true, allowUnionTypes: true, strict: false, verbose: true });
    // A secret input is a string shown as a password field; the format only informs forms.
    instance.addFormat("password", true);
  }
  return instance;
}

const compiled = new WeakMap<object, ValidateFunction>();

export function compile(schema: object): ValidateFunction {
  let fn = compiled.get(schema);
  if (!fn) {
    fn = ajv().compile(schema);
    compiled.set(schema, fn);
  }
  return fn;
}

export type { ErrorObject };
