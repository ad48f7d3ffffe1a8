import { Readable } from "node:stream";
import type Docker from "dockerode";
import { describe, expect, it } from "vitest";
import type { Stream } from "../types.js";
import { emitMissedLogs } from "./missed-logs.js";

/** A frame of the Docker API's multiplexed log stream. */
function frame(stream: Stream, text: string): Buffer {
  const payload = Buffer.from(text);
  const header = Buffer.alloc(8);
  header[0] = stream === "stderr" ? 2 : 1;
  header.writeUInt32BE(payload.length, 4);
  return Buffer.concat([header, payload]);
}

/** An engine whose non-following log read answers with these bytes, in chunks that split frames. */
function engine(log: Buffer): { docker: Docker; container: Docker.Container; paths: string[] } {
  const paths: string[] = [];
  const modem = {
    dial(options: { path: string }, callback: (error: Error | null, stream?: Readable) => void) {
      paths.push(options.path);
      const chunks = [log.subarray(0, 5), log.subarray(5, 13), log.subarray(13)];
      callback(null, Readable.from(chunks));
    },
  };
  return { docker: { modem } as unknown as Docker, container: { id: "c1" } as Docker.Container, paths };
}

describe("emitMissedLogs", () => {
  const log = Buffer.concat([
    frame("stdout", "one\n"),
    frame("stderr", "warn\n"),
    frame("stdout", "two\nthree\n"),
  ]);

  it("emits only the bytes of each stream the follower did not pass on", async () => {
    const { docker, container, paths } = engine(log);
    const got: Array<[Stream, string]> = [];
    // The follower passed on "one\n" and "tw" of stdout, and nothing of stderr.
    await emitMissedLogs(docker, container, { stdout: 6, stderr: 0 }, (s, p) => got.push([s, p.toString()]));
    expect(got).toEqual([
      ["stderr", "warn\n"],
      ["stdout", "o\nthree\n"],
    ]);
    expect(paths).toEqual(["/containers/c1/logs?"]);
  });

  it("emits the whole log when the follower got nothing, and nothing when it got everything", async () => {
    const all: string[] = [];
    await emitMissedLogs(engine(log).docker, engine(log).container, { stdout: 0, stderr: 0 }, (_, p) =>
      all.push(p.toString()),
    );
    expect(all.join("")).toBe("one\nwarn\ntwo\nthree\n");
    const none: string[] = [];
    await emitMissedLogs(engine(log).docker, engine(log).container, { stdout: 14, stderr: 5 }, (_, p) =>
      none.push(p.toString()),
    );
    expect(none).toEqual([]);
  });
});
