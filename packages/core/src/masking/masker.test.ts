import { describe, expect, it } from "vitest";
import { addMaskCommand, Masker } from "./masker.js";

const masker = (...secrets: string[]) => {
  const m = new Masker();
  for (const s of secrets) m.add(s);
  return m;
};

describe("Masker", () => {
  it("masks every occurrence of a secret", () => {
    expect(masker("s3cr3t").mask("token=s3cr3t and again s3cr3t.")).toBe("token=*** and again ***.");
  });

  it("masks the base64 form, with and without padding", () => {
    const m = masker("hunter2");
    const b64 = Buffer.from("hunter2").toString("base64");
    expect(b64).toMatch(/=$/);
    expect(m.mask(`basic ${b64}`)).toBe("basic ***");
    expect(m.mask(`raw ${b64.replace(/=+$/, "")}`)).toBe("raw ***");
  });

  it("masks the base64 form of a non-ASCII secret by its UTF-8 bytes", () => {
    const secret = "pässwörd✓";
    expect(masker(secret).mask(Buffer.from(secret).toString("base64"))).toBe("***");
  });

  it("masks the URL-encoded form", () => {
    const m = masker("p@ss w/rd&");
    expect(m.mask("https://u:p%40ss%20w%2Frd%26@host/")).toBe("https://u:***@host/");
  });

  it("masks a longer secret whole when it contains a shorter one", () => {
    expect(masker("abc", "xxabcxx").mask("value xxabcxx and abc")).toBe("value *** and ***");
    expect(masker("xxabcxx", "abc").mask("value xxabcxx")).toBe("value ***");
  });

  it("treats regular-expression characters literally", () => {
    expect(masker("a.b*c").mask("a.b*c axbbbc")).toBe("*** axbbbc");
  });

  it("does not mask values shorter than 3 characters, in any form", () => {
    const m = masker("ab", "1", "");
    expect(m.size).toBe(0);
    const line = `ab 1 ${Buffer.from("ab").toString("base64")} ${Buffer.from("1").toString("base64")}`;
    expect(m.mask(line)).toBe(line);
    expect(masker("abc").mask("abc")).toBe("***");
  });

  it("leaves text alone with no secrets", () => {
    expect(new Masker().mask("nothing to hide")).toBe("nothing to hide");
  });

  it("masks a secret added after the first mask", () => {
    const m = masker("first");
    expect(m.mask("first second")).toBe("*** second");
    m.add("second");
    expect(m.mask("first second")).toBe("*** ***");
  });
});

describe("addMaskCommand", () => {
  it("returns the value of ::add-mask::, trimmed", () => {
    expect(addMaskCommand("::add-mask::  generated-token ")).toBe("generated-token");
    expect(addMaskCommand("::add-mask::")).toBe("");
  });

  it("ignores other lines", () => {
    expect(addMaskCommand("echo ::add-mask::x")).toBeUndefined();
    expect(addMaskCommand("::warning::x")).toBeUndefined();
  });

  it("masks each line of a multi-line secret, since logs are masked line by line", () => {
    const m = new Masker();
    m.add("-----BEGIN KEY-----\nMIIEpAIBAAKCAQEA\n-----END KEY-----");
    expect(m.mask("line: MIIEpAIBAAKCAQEA")).toBe("line: ***");
    expect(m.mask("-----END KEY-----")).toBe("***");
  });
});

describe("Masker: every encoding a program is likely to print", () => {
  const secret = "Sup3rS3cretPW!x/ é";
  const m = masker(secret);
  const b64 = (s: string) => Buffer.from(s).toString("base64");
  it.each([
    ["plain", secret],
    ["base64", b64(secret)],
    ["base64 after 1 byte", b64(`a${secret}`)],
    ["base64 after 2 bytes", b64(`ab${secret}`)],
    ["base64 inside a longer text", b64(`user:${secret}:more`)],
    ["encodeURIComponent", encodeURIComponent(secret)],
    ["RFC 3986 (Python quote)", "Sup3rS3cretPW%21x/%20%C3%A9"],
    ["form encoding (quote_plus)", "Sup3rS3cretPW%21x%2F+%C3%A9"],
    ["JSON string", JSON.stringify(secret).slice(1, -1)],
    ["JSON string, ASCII only (Python json.dumps)", "Sup3rS3cretPW!x/ \\u00e9"],
  ])("%s", (_name, printed) => {
    const masked = m.mask(`before ${printed} after`);
    expect(masked).not.toContain(printed);
    expect(masked).toContain("***");
  });

  it("Python's URL-encoding of the secret in the issue is masked", () => {
    expect(masker("Sup3rS3cretPW!x").mask("GET /?pw=Sup3rS3cretPW%21x")).toBe("GET /?pw=***");
  });

  it("each line of a multi-line secret, and the whole in a multi-line value", () => {
    const key = "-----BEGIN KEY-----\nAAAAsecretline1\nBBBBsecretline2\n-----END KEY-----";
    const mk = masker(key);
    expect(mk.mask("BBBBsecretline2")).toBe("***");
    expect(mk.mask(`value:\n${key}\nend`)).not.toMatch(/secretline/);
  });

  it("hands its secrets to another masker", () => {
    const other = new Masker();
    other.addAll(masker("hunter22"));
    expect(other.mask("pw hunter22")).toBe("pw ***");
    expect(masker("hunter22").secrets()).toEqual(["hunter22"]);
  });
});
