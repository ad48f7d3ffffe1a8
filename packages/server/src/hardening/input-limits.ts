import type { FastifySchema } from "fastify";

/**
 * What a route takes from the URL (path parameters and the query string) must have a size limit in its
 * schema, as every input must: a string a `maxLength` (or an `enum`/`const`), a list a `maxItems`. Finds
 * the inputs that have none, for the test that walks every registered route.
 */

interface JsonSchema {
  type?: string | string[];
  maxLength?: number;
  maxItems?: number;
  enum?: unknown[];
  const?: unknown;
  properties?: Record<string, JsonSchema>;
  items?: JsonSchema;
  additionalProperties?: boolean | JsonSchema;
  anyOf?: JsonSchema[];
  oneOf?: JsonSchema[];
}

/** `where` of each input without a size limit: `querystring.status`, `params.id`, … */
export function unboundedInputs(url: string, schema: FastifySchema | undefined): string[] {
  const found: string[] = [];
  for (const part of ["params", "querystring"] as const) {
    const own = schema?.[part] as JsonSchema | undefined;
    if (own) walk(own, part, found);
  }
  // A path parameter the schema does not describe is a string of any length.
  const described = Object.keys((schema?.params as JsonSchema | undefined)?.properties ?? {});
  for (const name of url.match(/:[A-Za-z_][A-Za-z0-9_]*|\*$/g) ?? []) {
    const param = name === "*" ? "*" : name.slice(1);
    if (!described.includes(param)) found.push(`params.${param}`);
  }
  return found;
}

function walk(schema: JsonSchema, where: string, found: string[]): void {
  if (schema.enum !== undefined || schema.const !== undefined) return;
  const types = [schema.type ?? []].flat();
  if (types.includes("string") && schema.maxLength === undefined) found.push(where);
  if (types.includes("array")) {
    if (schema.maxItems === undefined) found.push(`${where}[]`);
    if (schema.items) walk(schema.items, `${where}[]`, found);
  }
  for (const [name, property] of Object.entries(schema.properties ?? {}))
    walk(property, `${where}.${name}`, found);
  if (typeof schema.additionalProperties === "object") walk(schema.additionalProperties, `${where}.*`, found);
  for (const alternative of [...(schema.anyOf ?? []), ...(schema.oneOf ?? [])])
    walk(alternative, where, found);
}
