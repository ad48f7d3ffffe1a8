import { data } from "@actions/expressions";

/** Plain JSON-like value -> the expression library's typed data. */
export function toExpressionData(value: unknown): data.ExpressionData {
  if (value === null || value === undefined) return new data.Null();
  if (typeof value === "string") return new data.StringData(value);
  if (typeof value === "number") return new data.NumberData(value);
  if (typeof value === "boolean") return new data.BooleanData(value);
  if (Array.isArray(value)) return new data.Array(...value.map(toExpressionData));
  if (typeof value === "object") {
    const dict = new data.Dictionary();
    for (const [key, v] of Object.entries(value)) dict.add(key, toExpressionData(v));
    return dict;
  }
  return new data.StringData(String(value));
}

/** The expression library's typed data -> plain JSON-like value. */
export function fromExpressionData(value: data.ExpressionData): unknown {
  switch (value.kind) {
    case data.Kind.Null:
      return null;
    case data.Kind.Boolean:
      return (value as data.BooleanData).value;
    case data.Kind.Number:
      return value.number();
    case data.Kind.String:
      return value.coerceString();
    case data.Kind.Array:
      return (value as data.Array).values().map(fromExpressionData);
    default: {
      const out: Record<string, unknown> = {};
      for (const pair of (value as data.Dictionary).pairs()) out[pair.key] = fromExpressionData(pair.value);
      return out;
    }
  }
}

/** How a value reads inside a larger string: GitHub's rules for scalars, JSON for lists and maps. */
export function interpolationString(value: unknown): string {
  if (value === null || value === undefined) return "";
  if (typeof value === "string") return value;
  if (typeof value === "number" || typeof value === "boolean") return String(value);
  return JSON.stringify(value);
}

/** GitHub's truthiness: false, 0, -0, "", null and NaN are falsy; everything else, lists and maps included, truthy. */
export function truthy(value: unknown): boolean {
  if (value === null || value === undefined || value === false || value === "") return false;
  if (typeof value === "number") return value !== 0 && !Number.isNaN(value);
  return true;
}
