import type { RunnerTask, Stream } from "../types.js";

/**
 * Splits the Docker API's multiplexed stream (a container without a TTY): each frame is an 8-byte
 * header (byte 0: 1 stdout, 2 stderr; bytes 4-7: big-endian length) and its payload. Frames may be split
 * across chunks and chunks may hold several frames. Written by hand rather than with docker-modem's
 * demuxStream so the caller can pause the source for back-pressure.
 */
export class Demuxer {
  private buffer: Buffer = Buffer.alloc(0);

  constructor(private readonly emit: (stream: Stream, payload: Buffer) => void) {}

  write(chunk: Buffer): void {
    this.buffer = this.buffer.length === 0 ? chunk : Buffer.concat([this.buffer, chunk]);
    while (this.buffer.length >= 8) {
      const size = this.buffer.readUInt32BE(4);
      if (this.buffer.length < 8 + size) break;
      const kind = this.buffer[0];
      const payload = this.buffer.subarray(8, 8 + size);
      this.buffer = this.buffer.subarray(8 + size);
      this.emit(kind === 2 ? "stderr" : "stdout", payload);
    }
  }
}

/**
 * Reads a multiplexed stream into `demux` until it ends (or fails: what came is kept). When the log
 * store falls behind (`flow`), it stops reading: the engine buffers, not this process.
 */
export function readDemuxed(
  stream: NodeJS.ReadableStream,
  demux: Demuxer,
  flow: RunnerTask["flow"],
): Promise<void> {
  return new Promise((resolve) => {
    stream.on("data", (chunk: Buffer) => {
      demux.write(chunk);
      if (flow?.full) {
        stream.pause();
        void flow.waitForRoom().then(() => stream.resume());
      }
    });
    stream.on("end", resolve);
    stream.on("close", resolve);
    stream.on("error", () => resolve());
  });
}
