import { QueryClient, QueryClientProvider } from "@tanstack/react-query";
import { cleanup, render, screen, within } from "@testing-library/react";
import { afterEach, describe, expect, it, vi } from "vitest";
import type { WorkerInfo } from "@/lib/api";
import { WorkersPage } from "./workers";

const now = new Date().toISOString();
const WORKERS: WorkerInfo[] = [
  {
    id: "agent-k1-build-7-1-abc",
    hostname: "build-7",
    kind: "agent",
    version: "0.1.0",
    labels: ["linux", "gpu", "runner:local"],
    runners: ["local"],
    capacity: 2,
    running: 1,
    state: "online",
    started_at: now,
    heartbeat_at: now,
  },
  {
    id: "db-worker-1",
    hostname: "ci-1",
    kind: "worker",
    version: null,
    labels: ["runner:local"],
    runners: ["local"],
    capacity: 4,
    running: 0,
    state: "online",
    started_at: now,
    heartbeat_at: now,
  },
];

afterEach(() => {
  cleanup();
  vi.unstubAllGlobals();
});

describe("Workers page", () => {
  it("tells agents from workers, with an agent's version and labels", async () => {
    vi.stubGlobal(
      "fetch",
      vi.fn(async () => new Response(JSON.stringify({ workers: WORKERS }), { status: 200 })),
    );
    render(
      <QueryClientProvider client={new QueryClient()}>
        <WorkersPage />
      </QueryClientProvider>,
    );
    const agentRow = (await screen.findByText("agent-k1-build-7-1-abc")).closest("tr") as HTMLElement;
    expect(within(agentRow).getByText("agent").dataset.kind).toBe("agent");
    expect(within(agentRow).getByText(/build-7 · v0\.1\.0/)).toBeTruthy();
    expect(within(agentRow).getByText("linux, gpu")).toBeTruthy();
    const workerRow = screen.getByText("db-worker-1").closest("tr") as HTMLElement;
    expect(within(workerRow).getByText("worker").dataset.kind).toBe("worker");
    expect(within(workerRow).queryByText(/ · v/)).toBeNull();
  });
});
