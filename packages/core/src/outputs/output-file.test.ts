import { describe, expect, it } from "vitest";
import { OUTPUT_FILE_LIMIT_BYTES, parseOutputFile } from "./output-file.js";

describe("parseOutputFile", () => {
  it("reads name=value lines, keeping '=' and spaces inside the value", () => {
    expect(parseOutputFile("a=1\nurl=https://x/?q=1&r=2\nspaced= two words \nempty=\n")).toEqual({
      outputs: { a: "1", url: "https://x/?q=1&r=2", spaced: " two words ", empty: "" },
      errors: [],
    });
  });

  it("reads a multi-line value between name<<DELIM and a line that is exactly DELIM", () => {
    const text = ["before=1", "body<<EOF", "line one", "", "  EOF not alone", "EOF", "after=2", ""].join(
      "\n",
    );
    expect(parseOutputFile(text)).toEqual({
      outputs: { before: "1", body: "line one\n\n  EOF not alone", after: "2" },
      errors: [],
    });
  });

  it("accepts any delimiter, and an empty heredoc", () => {
    expect(parseOutputFile("x<<ghadelimiter_123\na=b\nghadelimiter_123\ne<<END\nEND\n").outputs).toEqual({
      x: "a=b",
      e: "",
    });
  });

  it("reads CRLF line endings", () => {
    expect(parseOutputFile("a=1\r\nb<<EOF\r\nx\r\ny\r\nEOF\r\nc=3\r\n")).toEqual({
      outputs: { a: "1", b: "x\ny", c: "3" },
      errors: [],
    });
  });

  it("lets a later value win", () => {
    expect(parseOutputFile("a=1\na<<EOF\ntwo\nEOF\nb=x\nb=y\n").outputs).toEqual({ a: "two", b: "y" });
  });

  it("treats name=a<<b as a plain value", () => {
    expect(parseOutputFile("cmd=cat <<EOF\n").outputs).toEqual({ cmd: "cat <<EOF" });
  });

  it("reports an unterminated heredoc, keeping what came before", () => {
    expect(parseOutputFile("ok=1\nbody<<EOF\nno end\n")).toEqual({
      outputs: { ok: "1" },
      errors: ["output 'body': no line 'EOF' ends the value started on line 2"],
    });
  });

  it("reports a line that is neither form, and goes on", () => {
    expect(parseOutputFile("just text\n=novalue\nb=2\n")).toEqual({
      outputs: { b: "2" },
      errors: [
        "line 1: expected 'name=value' or 'name<<DELIMITER', got 'just text'",
        "line 2: expected 'name=value' or 'name<<DELIMITER', got '=novalue'",
      ],
    });
  });

  it("reads an empty file as no outputs", () => {
    expect(parseOutputFile("")).toEqual({ outputs: {}, errors: [] });
  });

  it("refuses a file over the limit, counted in bytes of UTF-8", () => {
    const atLimit = `x=${"a".repeat(OUTPUT_FILE_LIMIT_BYTES - 2)}`;
    expect(parseOutputFile(atLimit).errors).toEqual([]);
    expect(parseOutputFile(`${atLimit}a`).errors).toEqual([
      "larger than 1024 KiB: write large data to a file, an artifact or a cache instead",
    ]);
    // Fewer characters than the limit, more bytes: each "é" is two bytes.
    const wide = `x=${"é".repeat(OUTPUT_FILE_LIMIT_BYTES / 2)}`;
    expect(wide.length).toBeLessThan(OUTPUT_FILE_LIMIT_BYTES);
    expect(parseOutputFile(wide).outputs).toEqual({});
  });
});
