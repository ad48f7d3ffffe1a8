/**
 * The one cast from a JSON column's text to its type. The store writes each column with JSON.stringify
 * of a value of that type, and only the store writes them, so the text read back has that shape;
 * checking it again on every read would cost a schema walk per row on the hottest paths (claiming a
 * step reads the run's state and info).
 */
export function parseColumn<T>(text: string): T {
  return JSON.parse(text) as T;
}
