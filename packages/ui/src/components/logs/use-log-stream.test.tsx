import { act, cleanup, renderHook } from "@testing-library/react";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { publishDelay, useLogStream } from "./use-log-stream";

/** A WebSocket the test drives: jsdom has no server to talk to (the end-to-end tests use a real one). */
class FakeSocket {
  static all: FakeSocket[] = [];
  onopen: (() => void) | null = null;
  onmessage: ((event: { data: string }) => void) | null = null;
  onclose: ((event: { code: number }) => void) | null = null;
  closed = false;
  constructor(readonly url: string) {
    FakeSocket.all.push(this);
  }
  close() {
    this.closed = true;
  }
  open() {
    this.onopen?.();
  }
  /** Consecutive offsets from `first`, as the server packs them. */
  send(first: number, count: number) {
    const texts = Array.from({ length: count }, (_, i) => `line ${first + i}`);
    const batch = { offset: first, step: "build", item: 0, attempt: 1 };
    const lines = { s: [["stdout", count]], t: [[0, count]], x: texts.join("\n") };
    this.onmessage?.({ data: JSON.stringify([{ ...batch, lines }]) });
  }
  drop(code: number) {
    this.onclose?.({ code });
  }
}

describe("useLogStream", () => {
  beforeEach(() => {
    FakeSocket.all = [];
    vi.useFakeTimers();
    vi.stubGlobal("WebSocket", FakeSocket);
    vi.stubGlobal("requestAnimationFrame", (fn: () => void) => setTimeout(fn, 16));
    vi.stubGlobal("cancelAnimationFrame", (id: number) => clearTimeout(id));
  });
  afterEach(() => {
    cleanup();
    vi.useRealTimers();
    vi.unstubAllGlobals();
  });

  it("asks for batches of one step, resumes after the last offset when dropped, and ends on 1000", () => {
    const { result } = renderHook(() => useLogStream("run-1", "build"));
    const first = FakeSocket.all[0]!;
    expect(first.url).toBe("ws://localhost:3000/api/v1/runs/run-1/logs?packed=true&step=build");
    act(() => {
      first.open();
      first.send(0, 3);
      vi.advanceTimersByTime(20);
    });
    expect(result.current.state).toBe("live");
    expect(result.current.lines.map((l) => l.offset)).toEqual([0, 1, 2]);
    expect(result.current.lines[2]).toMatchObject({ step: "build", stream: "stdout", text: "line 2" });

    act(() => {
      first.drop(1006);
    });
    expect(result.current.state).toBe("reconnecting");
    act(() => {
      vi.advanceTimersByTime(500);
    });
    const second = FakeSocket.all[1]!;
    expect(second.url).toContain("after=2");
    act(() => {
      second.open();
      // A line sent twice around the reconnect is kept once.
      second.send(2, 2);
      vi.advanceTimersByTime(20);
      second.drop(1000);
    });
    expect(result.current.lines.map((l) => l.offset)).toEqual([0, 1, 2, 3]);
    expect(result.current.state).toBe("ended");
    expect(FakeSocket.all).toHaveLength(2);
  });

  it("draws a log past 64,000 lines every 250 ms instead of every frame", () => {
    expect(publishDelay(64_000)).toBe(0);
    expect(publishDelay(64_001)).toBe(250);
    const { result } = renderHook(() => useLogStream("run-1", "build"));
    const socket = FakeSocket.all[0]!;
    act(() => {
      socket.open();
      socket.send(0, 60_000);
      vi.advanceTimersByTime(20);
    });
    const drawn = result.current.version;
    act(() => {
      socket.send(60_000, 10_000);
      vi.advanceTimersByTime(100);
    });
    expect(result.current.version).toBe(drawn);
    act(() => {
      vi.advanceTimersByTime(170);
    });
    expect(result.current.version).toBe(drawn + 1);
    expect(result.current.lines).toHaveLength(70_000);
    expect(result.current.lines.at(-1)?.offset).toBe(69_999);
  });
});
