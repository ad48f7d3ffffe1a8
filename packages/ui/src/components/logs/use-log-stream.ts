import { expandLines, type LinesBatch, type LogLine } from "@gantry/core/log-lines";
import { useEffect, useRef, useState } from "react";
import { announceSignedOut } from "@/lib/signed-out";

/** The server's close code for "credentials ended" (server/src/auth/open-sockets.ts). */
const CREDENTIALS_ENDED = 4401;

export type { LogLine };

export type StreamState = "connecting" | "live" | "ended" | "reconnecting";

/**
 * Follows a run's log over the WebSocket: the server replays what exists, then streams live lines until
 * the run ends and closes with 1000. Lines are kept in a ref and published at most once per animation
 * frame, so a step printing thousands of lines a second costs one render per frame, not one per line;
 * past 64,000 lines, less often (see publishDelay).
 * A dropped socket reconnects with `?after=<last offset>`: no gap, no duplicate.
 */
export function useLogStream(runId: string, step: string | undefined) {
  const lines = useRef<LogLine[]>([]);
  const [version, setVersion] = useState(0);
  const [state, setState] = useState<StreamState>("connecting");

  useEffect(() => {
    lines.current = [];
    setVersion((v) => v + 1);
    setState("connecting");
    let socket: WebSocket | undefined;
    let frame = 0;
    let delay: ReturnType<typeof setTimeout> | undefined;
    let retry: ReturnType<typeof setTimeout> | undefined;
    let attempts = 0;
    let stopped = false;
    const publish = () => {
      frame = 0;
      delay = undefined;
      setVersion((v) => v + 1);
    };
    const connect = () => {
      const last = lines.current.at(-1)?.offset ?? -1;
      // Packed batches: one message per batch of lines rather than per line. A browser pays per WebSocket
      // message (measured: a million one-line messages took 96 s in Chromium; the server sent them in
      // 4 s), and packed, a batch is a third of the bytes of an object per line.
      const params = new URLSearchParams({ packed: "true" });
      if (step) params.set("step", step);
      if (last >= 0) params.set("after", String(last));
      const scheme = location.protocol === "https:" ? "wss" : "ws";
      socket = new WebSocket(
        `${scheme}://${location.host}/api/v1/runs/${encodeURIComponent(runId)}/logs?${params}`,
      );
      socket.onopen = () => {
        attempts = 0;
        setState("live");
      };
      socket.onmessage = (event) => {
        const received: LogLine[] = [];
        for (const batch of JSON.parse(String(event.data)) as LinesBatch[]) expandLines(batch, received);
        const buffer = lines.current;
        for (const line of received) {
          const previous = buffer.at(-1);
          if (!previous || line.offset > previous.offset) buffer.push(line);
        }
        if (!frame && !delay) {
          const wait = publishDelay(buffer.length);
          if (wait === 0) frame = requestAnimationFrame(publish);
          else delay = setTimeout(() => (frame = requestAnimationFrame(publish)), wait);
        }
      };
      socket.onclose = (event) => {
        if (stopped) return;
        if (event.code === 1000) {
          setState("ended");
          publish();
          return;
        }
        // The credentials ended (revoked key, ended session): sign in again rather than reconnect.
        if (event.code === CREDENTIALS_ENDED) {
          setState("ended");
          announceSignedOut();
          return;
        }
        // Backoff with a cap: 0.5 s, 1 s, 2 s, … 10 s.
        setState("reconnecting");
        retry = setTimeout(connect, Math.min(10_000, 500 * 2 ** attempts++));
      };
    };
    connect();
    return () => {
      stopped = true;
      if (frame) cancelAnimationFrame(frame);
      if (delay) clearTimeout(delay);
      if (retry) clearTimeout(retry);
      socket?.close();
    };
  }, [runId, step]);

  return { lines: lines.current, version, state };
}

/**
 * How long a log of `lines` lines waits before it is drawn again. Each drawing measures every row again
 * (the virtualizer), so drawing a long log on every frame while it streamed in spent most of the time
 * in those measurements: a million lines reached the page in 7.5–7.9 s, and in 4.2–6.8 s (median of 9:
 * 4.9 s) drawn every 250 ms past 64,000 lines (5.0–5.5 s with a wait growing to 1 s; bench/: ui-logs).
 */
export function publishDelay(lines: number): number {
  return lines <= 64_000 ? 0 : 250;
}
