/** The whole "application": what the CI example builds and tests. */
export function greet(name) {
  if (typeof name !== "string" || name.trim() === "") throw new TypeError("greet: a name is required");
  return `Hello, ${name.trim()}!`;
}
