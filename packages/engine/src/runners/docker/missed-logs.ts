import type Docker from "dockerode";
import type { Stream } from "../types.js";
import { Demuxer } from "./demux.js";

/**
 * The follow stream can end before the engine delivered the last lines, or lag past the drain time on a
 * busy machine (Podman: a step's only line lost under load). The exited container's log is read once more
 * without following, streamed so a large log costs no memory, and only the bytes of each stream that the
 * follower did not pass on are emitted.
 */
export function emitMissedLogs(
  docker: Docker,
  container: Docker.Container,
  seen: Record<Stream, number>,
  emit: (stream: Stream, payload: Buffer) => void,
): Promise<void> {
  const offset: Record<Stream, number> = { stdout: 0, stderr: 0 };
  const demux = new Demuxer((stream, payload) => {
    const start = Math.max(0, seen[stream] - offset[stream]);
    offset[stream] += payload.length;
    if (start < payload.length) emit(stream, payload.subarray(start));
  });
  return new Promise((resolve, reject) => {
    docker.modem.dial(
      {
        path: `/containers/${container.id}/logs?`,
        method: "GET",
        isStream: true,
        statusCodes: { 200: true, 404: "no such container", 500: "server error" },
        options: { follow: false, stdout: true, stderr: true },
      },
      (error, stream) => {
        if (error) return reject(error);
        const body = stream as NodeJS.ReadableStream;
        body.on("data", (chunk: Buffer) => demux.write(chunk));
        body.on("end", resolve);
        body.on("error", reject);
      },
    );
  });
}
