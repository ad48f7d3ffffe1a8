import { StringDecoder } from "node:string_decoder";

/**
 * Splits a byte stream into lines. A line may arrive in pieces (a `printf` without a newline, or a chunk
 * boundary inside a multi-byte character); it is emitted once it is complete, or at the end.
 */
export class LineSplitter {
  private readonly decoder = new StringDecoder("utf8");
  private pending = "";

  constructor(private readonly emit: (line: string) => void) {}

  write(chunk: Buffer): void {
    const text = this.pending + this.decoder.write(chunk);
    let start = 0;
    for (let nl = text.indexOf("\n"); nl >= 0; nl = text.indexOf("\n", start)) {
      this.emit(stripCarriageReturn(text.slice(start, nl)));
      start = nl + 1;
    }
    this.pending = text.slice(start);
  }

  end(): void {
    const rest = this.pending + this.decoder.end();
    this.pending = "";
    if (rest !== "") this.emit(stripCarriageReturn(rest));
  }
}

function stripCarriageReturn(line: string): string {
  return line.endsWith("\r") ? line.slice(0, -1) : line;
}
