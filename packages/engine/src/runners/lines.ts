import { StringDecoder } from "node:string_decoder";

/** Longest line kept whole; a longer one is cut here and marked, so one line cannot exhaust memory. */
export const MAX_LINE_CHARS = 64 * 1024;

/**
 * Splits a byte stream into lines. A line may arrive in pieces (a `printf` without a newline, or a chunk
 * boundary inside a multi-byte character); it is emitted once it is complete, or at the end. Invalid
 * UTF-8 becomes U+FFFD; ANSI colour codes pass through untouched.
 */
export class LineSplitter {
  private readonly decoder = new StringDecoder("utf8");
  private pending = "";
  /** Characters of the current line dropped past MAX_LINE_CHARS. */
  private dropped = 0;

  constructor(private readonly emit: (line: string) => void) {}

  write(chunk: Buffer): void {
    const text = this.pending + this.decoder.write(chunk);
    // Most output holds no `\r`: one search here spares each of its lines visibleLine's two.
    const plain = !text.includes("\r");
    let start = 0;
    for (let nl = text.indexOf("\n"); nl >= 0; nl = text.indexOf("\n", start)) {
      this.finish(text.slice(start, nl), plain);
      start = nl + 1;
    }
    this.pending = text.slice(start);
    // A `\r` inside the unfinished line overwrites what came before it (see visibleLine), so drop that
    // now: otherwise a progress bar printing more than MAX_LINE_CHARS of `\r` updates before its newline
    // was cut at an early state and marked truncated instead of showing its last state. A trailing `\r`
    // stays: it may be the CR of a CRLF whose LF is in the next write.
    const cr = this.pending.length > 1 ? this.pending.lastIndexOf("\r", this.pending.length - 2) : -1;
    if (cr >= 0) {
      this.pending = this.pending.slice(cr + 1);
      this.dropped = 0;
    }
    if (this.pending.length > MAX_LINE_CHARS) {
      this.dropped += this.pending.length - MAX_LINE_CHARS;
      this.pending = this.pending.slice(0, MAX_LINE_CHARS);
    }
  }

  end(): void {
    const rest = this.pending + this.decoder.end();
    this.pending = "";
    if (rest !== "" || this.dropped > 0) this.finish(rest, !rest.includes("\r"));
  }

  private finish(raw: string, plain: boolean): void {
    let line = raw;
    let dropped = this.dropped;
    this.dropped = 0;
    if (line.length > MAX_LINE_CHARS) {
      dropped += line.length - MAX_LINE_CHARS;
      line = line.slice(0, MAX_LINE_CHARS);
    }
    if (!plain) line = visibleLine(line);
    this.emit(dropped > 0 ? `${line} [line truncated: ${dropped} more characters]` : line);
  }
}

/**
 * What a terminal shows of a line: a trailing `\r` (CRLF) is dropped, and progress output that returns
 * to the start of the line (`10%\r20%\r30%`) shows only its last state.
 */
export function visibleLine(line: string): string {
  const trimmed = line.endsWith("\r") ? line.slice(0, -1) : line;
  const cr = trimmed.lastIndexOf("\r");
  return cr < 0 ? trimmed : trimmed.slice(cr + 1);
}
