import { describe, expect, it } from "vitest";
import { SecretError } from "./errors.js";
import { applyPointer, parsePointer } from "./pointer.js";
import { findSecretRefs, isSecretRef, parseSecretRef } from "./ref.js";

describe("parseSecretRef", () => {
  it("splits provider, path, params and pointer", () => {
    expect(
      parseSecretRef("ref+awssecrets://app/db?region=eu-west-1&version_stage=AWSCURRENT#/password"),
    ).toEqual({
      raw: "ref+awssecrets://app/db?region=eu-west-1&version_stage=AWSCURRENT#/password",
      provider: "awssecrets",
      path: "app/db",
      params: { region: "eu-west-1", version_stage: "AWSCURRENT" },
      pointer: "/password",
    });
  });

  it("keeps absolute paths, allows an empty fragment, and decodes %-escapes", () => {
    expect(parseSecretRef("ref+file:///etc/app/token").path).toBe("/etc/app/token");
    expect(parseSecretRef("ref+env://TOKEN#").pointer).toBe("");
    const ref = parseSecretRef("ref+file://my%20dir/a.yaml?x=a%26b#/with%20space/a~1b");
    expect(ref.path).toBe("my dir/a.yaml");
    expect(ref.params).toEqual({ x: "a&b" });
    expect(ref.pointer).toBe("/with space/a~1b");
  });

  it("keeps URLs inside parameter values", () => {
    const ref = parseSecretRef("ref+vault://secret/app?address=http://127.0.0.1:8200&namespace=a/b#/k");
    expect(ref.params).toEqual({ address: "http://127.0.0.1:8200", namespace: "a/b" });
  });

  it.each([
    ["ref+env://", "the path after :// is empty"],
    ["ref+env://A#foo", 'JSON pointer "foo" must start with /'],
    ["ref+env://A#/a~2", "~ not followed by 0 or 1"],
    ["ref+env://A?x=1&x=2", "parameter x is given twice"],
    ["ref+file://a%zz", "malformed %-escape"],
    ["env://A", "not a secret reference"],
  ])("rejects %s saying what is wrong", (raw, why) => {
    let error: unknown;
    try {
      parseSecretRef(raw);
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(SecretError);
    expect((error as SecretError).reason).toBe("invalid-ref");
    expect((error as SecretError).message).toContain(raw);
    expect((error as SecretError).message).toContain(why);
  });
});

describe("isSecretRef and findSecretRefs", () => {
  it("recognises the shape, malformed references included", () => {
    expect(isSecretRef("ref+env://A")).toBe(true);
    expect(isSecretRef("ref+env://A#bad")).toBe(true);
    expect(isSecretRef("x ref+env://A")).toBe(false);
    expect(isSecretRef("ref+ENV://A")).toBe(false);
    expect(isSecretRef(42)).toBe(false);
  });

  it("finds references anywhere, with where they are", () => {
    const workflow = {
      secrets: { token: "ref+sops://s.enc.yaml#/token" },
      on: { webhook: [{ name: "hook", secret: "ref+env://HOOK" }] },
      steps: { a: { with: { x: "plain", y: "ref+vault://secret/app#/k" } } },
    };
    expect(findSecretRefs(workflow)).toEqual([
      { ref: "ref+sops://s.enc.yaml#/token", at: ["secrets", "token"] },
      { ref: "ref+env://HOOK", at: ["on", "webhook", 0, "secret"] },
      { ref: "ref+vault://secret/app#/k", at: ["steps", "a", "with", "y"] },
    ]);
  });
});

describe("JSON pointer (RFC 6901)", () => {
  const doc = { "a/b": { "m~n": [10, { c: "x" }] }, "": "empty key" };

  it("unescapes ~1 to / and ~0 to ~, in that order", () => {
    expect(parsePointer("/a~1b/m~0n")).toEqual(["a/b", "m~n"]);
    expect(parsePointer("/~01")).toEqual(["~1"]);
    expect(applyPointer(doc, "/a~1b/m~0n/1/c")).toBe("x");
    expect(applyPointer(doc, "/")).toBe("empty key");
    expect(applyPointer(doc, "")).toBe(doc);
  });

  it("names the missing key, index or the kind of node, never a value", () => {
    expect(() => applyPointer(doc, "/nope")).toThrow('key "nope" not found at the root');
    expect(() => applyPointer(doc, "/a~1b/m~0n/5")).toThrow(
      "index 5 is out of range at /a~1b/m~0n (length 2)",
    );
    expect(() => applyPointer(doc, "/a~1b/m~0n/01")).toThrow('"01" is not an index');
    expect(() => applyPointer({ s: "hunter2" }, "/s/x")).toThrow("/s is a string, not a map or list");
    expect(() => applyPointer({ s: "hunter2" }, "/s/x")).not.toThrow(/hunter2/);
  });
});
