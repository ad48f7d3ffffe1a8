import { describe, expect, it } from "vitest";
import { LineSplitter, MAX_LINE_CHARS, visibleLine } from "./lines.js";

/** Feeds `chunks` to a splitter, ends it, and returns the lines it emitted. */
function split(...chunks: Array<string | Buffer>): string[] {
  const lines: string[] = [];
  const splitter = new LineSplitter((line) => lines.push(line));
  for (const chunk of chunks) splitter.write(typeof chunk === "string" ? Buffer.from(chunk) : chunk);
  splitter.end();
  return lines;
}

describe("LineSplitter", () => {
  it("emits complete lines, joins a line printed in pieces, and emits an unterminated last line at the end", () => {
    expect(split("one\ntw", "o\nthr", "ee")).toEqual(["one", "two", "three"]);
    expect(split("a\n\nb\n")).toEqual(["a", "", "b"]);
    expect(split("")).toEqual([]);
  });

  it("emits a line as soon as its newline arrives, not at the end", () => {
    const lines: string[] = [];
    const splitter = new LineSplitter((line) => lines.push(line));
    splitter.write(Buffer.from("partial"));
    expect(lines).toEqual([]);
    splitter.write(Buffer.from(" line\nnext"));
    expect(lines).toEqual(["partial line"]);
    splitter.end();
    expect(lines).toEqual(["partial line", "next"]);
  });

  it("shows only the last state of a \\r progress line", () => {
    expect(split("10%\r20%\r30%\ndone\n")).toEqual(["30%", "done"]);
    // The progress arrives one update per write, as a real progress bar prints it.
    const updates = Array.from({ length: 100 }, (_, i) => `\rprogress ${i + 1}%`);
    expect(split(...updates, "\n")).toEqual(["progress 100%"]);
    expect(visibleLine("a\rb\r")).toBe("b");
  });

  it("shows the last state of a progress line longer than the cap, and does not mark it truncated", () => {
    // A download's progress bar can print megabytes of `\r` updates before its newline.
    const updates = Array.from({ length: 20_000 }, (_, i) => `\r[${"#".repeat(i % 50)}] ${i + 1}/20000`);
    expect(updates.join("").length).toBeGreaterThan(MAX_LINE_CHARS * 4);
    expect(split(...updates, "\n")).toEqual([`[${"#".repeat(19_999 % 50)}] 20000/20000`]);
  });

  it("drops the \\r of CRLF line ends, also when CR and LF arrive in different writes", () => {
    expect(split("one\r\ntwo\r\n")).toEqual(["one", "two"]);
    expect(split("one\r", "\ntwo\r", "\n")).toEqual(["one", "two"]);
  });

  it("caps a very long line and says how much was cut", () => {
    const long = "x".repeat(MAX_LINE_CHARS + 1234);
    const [line, next] = split(`${long}\nafter\n`);
    expect(line).toBe(`${"x".repeat(MAX_LINE_CHARS)} [line truncated: 1234 more characters]`);
    expect(next).toBe("after");
  });

  it("caps a very long line that arrives over many writes, counting every dropped character", () => {
    const piece = "y".repeat(1000);
    const writes = Array.from({ length: 200 }, () => piece);
    const lines = split(...writes, "\nshort\n");
    const dropped = 200 * 1000 - MAX_LINE_CHARS;
    expect(lines).toEqual([
      `${"y".repeat(MAX_LINE_CHARS)} [line truncated: ${dropped} more characters]`,
      "short",
    ]);
    // The same for an unterminated long line that only ends with the stream.
    const [last] = split(...writes);
    expect(last).toBe(`${"y".repeat(MAX_LINE_CHARS)} [line truncated: ${dropped} more characters]`);
  });

  it("keeps a line of exactly the cap whole", () => {
    expect(split(`${"z".repeat(MAX_LINE_CHARS)}\n`)).toEqual(["z".repeat(MAX_LINE_CHARS)]);
  });

  it("turns invalid UTF-8 into U+FFFD and keeps the valid text around it", () => {
    expect(split(Buffer.from([0x61, 0xff, 0x62, 0xc3, 0x0a]))).toEqual(["a\uFFFDb\uFFFD"]);
    // A truncated sequence at the very end of the stream too.
    expect(split(Buffer.from([0x6f, 0x6b, 0xe2, 0x82]))).toEqual(["ok\uFFFD"]);
  });

  it("joins a multi-byte character split across writes", () => {
    const euro = Buffer.from("€", "utf8"); // e2 82 ac
    const rocket = Buffer.from("🚀", "utf8"); // 4 bytes
    expect(
      split(
        Buffer.from("price: "),
        euro.subarray(0, 1),
        euro.subarray(1, 2),
        Buffer.concat([euro.subarray(2), Buffer.from(" "), rocket.subarray(0, 3)]),
        Buffer.concat([rocket.subarray(3), Buffer.from("\n")]),
      ),
    ).toEqual(["price: € 🚀"]);
  });

  it("passes ANSI colour codes through untouched", () => {
    const coloured = "\u001b[31mred\u001b[0m \u001b[1;32mbold green\u001b[0m";
    expect(split(`${coloured}\n`, "\u001b[33mwarn", "ing\u001b[0m\n")).toEqual([
      coloured,
      "\u001b[33mwarning\u001b[0m",
    ]);
  });
});
