import { cleanup, render, screen } from "@testing-library/react";
import { afterEach, describe, expect, it } from "vitest";
import type { RunDetail } from "@/lib/api";
import { WorkerWarnings } from "./run";

const run = (steps: RunDetail["steps"]): RunDetail => ({
  id: "r1",
  workflow: "boxed",
  status: "running",
  trigger: { type: "ui" },
  created_at: "2026-05-10T12:00:00Z",
  started_at: null,
  finished_at: null,
  revision: "abc",
  source: null,
  commit: null,
  attempt: 1,
  parent_run_id: null,
  inputs: {},
  outputs: {},
  error: null,
  steps,
  summaries: [],
});

describe("the run page's worker warnings", () => {
  afterEach(cleanup);

  it("warns for each step no live worker can take, naming the step", () => {
    render(
      <WorkerWarnings
        run={run({
          build: {
            status: "running",
            waiting_for: "waiting for a worker with runner:docker",
            warning: "no live worker has runner:docker: start one that does",
          },
          plain: { status: "running", waiting_for: "waiting for a worker with runner:local" },
        })}
      />,
    );
    const alert = screen.getByRole("alert");
    expect(alert.textContent).toBe("build: no live worker has runner:docker: start one that does");
  });

  it("shows nothing while every waiting step has a worker", () => {
    render(
      <WorkerWarnings run={run({ plain: { status: "running", waiting_for: "waiting for a worker" } })} />,
    );
    expect(screen.queryByRole("alert")).toBeNull();
  });
});
