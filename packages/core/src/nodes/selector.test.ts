import { describe, expect, it } from "vitest";
import { NodeSelectorError, parseNodeSelector, selectNodes } from "./selector.js";
import type { NodeRecord } from "./types.js";

const node = (name: string, tags: string[], attributes: Record<string, string> = {}, extra = {}) =>
  ({ name, host: `${name}.example.com`, tags, attributes, ...extra }) as NodeRecord;

const inventory: NodeRecord[] = [
  node("web-1", ["web", "eu"], { env: "prod", os: "debian" }, { user: "deploy" }),
  node("web-2", ["web", "us"], { env: "prod", os: "debian" }, { user: "deploy", port: 2222 }),
  node("web-3", ["web", "eu"], { env: "staging", os: "ubuntu" }),
  node("db-1", ["db", "eu"], { env: "prod", os: "debian" }, { user: "postgres" }),
  node("build", [], {}),
];

const names = (selector: string) => selectNodes(parseNodeSelector(selector), inventory).map((n) => n.name);

function errorOf(selector: string): { message: string; column: number } {
  try {
    parseNodeSelector(selector);
  } catch (error) {
    expect(error).toBeInstanceOf(NodeSelectorError);
    return { message: (error as Error).message, column: (error as NodeSelectorError).column };
  }
  throw new Error(`'${selector}' parsed`);
}

describe("node selectors", () => {
  it("filters by tag, name, host, user, port and attribute", () => {
    expect(names("tags:web and tags:eu")).toEqual(["web-1", "web-3"]);
    expect(names("tag:db")).toEqual(["db-1"]);
    expect(names("name:web-*")).toEqual(["web-1", "web-2", "web-3"]);
    expect(names("web-?")).toEqual(["web-1", "web-2", "web-3"]);
    expect(names("hostname:db-1.example.com")).toEqual(["db-1"]);
    expect(names("username:deploy")).toEqual(["web-1", "web-2"]);
    expect(names("port:2222")).toEqual(["web-2"]);
    expect(names("port:22")).toEqual(["web-1", "web-3", "db-1", "build"]);
    expect(names("env:prod and os:debian")).toEqual(["web-1", "web-2", "db-1"]);
    expect(names("*")).toEqual(inventory.map((n) => n.name));
  });

  it("reads or, not, !, parentheses and the precedence of and over or", () => {
    expect(names("tags:db or tags:web and tags:us")).toEqual(["web-2", "db-1"]);
    expect(names("(tags:db or tags:web) and tags:us")).toEqual(["web-2"]);
    expect(names("tags:web and not name:web-3")).toEqual(["web-1", "web-2"]);
    expect(names("tags:web and !env:staging")).toEqual(["web-1", "web-2"]);
    expect(names("NOT tags:web AND NOT tags:db")).toEqual(["build"]);
    expect(names("not not tags:db")).toEqual(["db-1"]);
  });

  it("takes alternatives after a comma, quoted values, regular expressions and Rundeck's spacing", () => {
    expect(names("tags:db,us")).toEqual(["web-2", "db-1"]);
    expect(names("web-1,db-1")).toEqual(["web-1", "db-1"]);
    expect(names('os:"deb*"')).toEqual(["web-1", "web-2", "db-1"]);
    expect(names("name:/web-[12]/")).toEqual(["web-1", "web-2"]);
    // A regular expression matches the whole value, as a glob does.
    expect(names("name:/web/")).toEqual([]);
    expect(names("tags: web and env: staging")).toEqual(["web-3"]);
  });

  it("treats glob metacharacters of regular expressions as literal text", () => {
    const dotted = [node("a.b", [], {}), node("axb", [], {})];
    expect(selectNodes(parseNodeSelector("a.b"), dotted).map((n) => n.name)).toEqual(["a.b"]);
  });

  it("never matches an attribute a node does not have, and a negation matches it", () => {
    expect(names("rack:*")).toEqual([]);
    expect(names("not rack:*")).toHaveLength(inventory.length);
  });

  it("says what is wrong and where", () => {
    expect(errorOf("")).toMatchObject({ column: 1, message: expect.stringContaining("empty") });
    expect(errorOf("   ")).toMatchObject({ column: 1 });
    expect(errorOf("tags:web eu")).toEqual({
      column: 10,
      message: "expected 'and' or 'or' before 'eu' (there is no implicit 'and') (column 10)",
    });
    expect(errorOf("tags:web and")).toMatchObject({
      column: 13,
      message: expect.stringContaining("expected a filter"),
    });
    expect(errorOf("tags:web and or tags:db")).toMatchObject({
      column: 14,
      message: expect.stringContaining("got 'or'"),
    });
    expect(errorOf("(tags:web or tags:db")).toMatchObject({
      column: 1,
      message: expect.stringContaining("never closed"),
    });
    expect(errorOf("tags:web)")).toMatchObject({ column: 9, message: expect.stringContaining("')'") });
    expect(errorOf("tags:")).toMatchObject({ column: 6, message: expect.stringContaining("needs a value") });
    expect(errorOf("tags: and x")).toMatchObject({
      column: 6,
      message: expect.stringContaining("needs a value"),
    });
    expect(errorOf("os:'deb")).toMatchObject({ column: 4, message: expect.stringContaining("never closed") });
    expect(errorOf("name:/web(/")).toMatchObject({
      column: 6,
      message: expect.stringContaining("invalid regular expression"),
    });
    expect(errorOf("name:/web")).toMatchObject({ column: 6 });
    expect(errorOf("9x:y")).toMatchObject({
      column: 1,
      message: expect.stringContaining("not a field name"),
    });
    expect(errorOf("()")).toMatchObject({ column: 1 });
    expect(errorOf("tags:web,")).toMatchObject({ column: 10, message: expect.stringContaining("value") });
    expect(errorOf("x".repeat(5000))).toMatchObject({ column: 1 });
  });
});
