import { cleanup, render, screen } from "@testing-library/react";
import { MemoryRouter } from "react-router";
import { afterEach, describe, expect, it } from "vitest";
import type { RunDetail } from "@/lib/api";
import { ParentBreadcrumb } from "./run";

const run = (trigger: RunDetail["trigger"]): RunDetail => ({
  id: "child-1",
  workflow: "deploy-one",
  status: "running",
  trigger,
  created_at: "2026-05-10T12:00:00Z",
  started_at: null,
  finished_at: null,
  revision: "abc",
  source: null,
  commit: null,
  attempt: 1,
  parent_run_id: "parent-12345678",
  inputs: {},
  outputs: {},
  error: null,
  steps: {},
  summaries: [],
});

describe("a child run's breadcrumb", () => {
  afterEach(cleanup);

  it("leads back to the parent run and the step that called it", () => {
    render(
      <MemoryRouter>
        <ParentBreadcrumb
          run={run({
            type: "workflow_call",
            parent_run: "parent-12345678",
            parent_workflow: "release",
            parent_step: "api",
          })}
        />
      </MemoryRouter>,
    );
    const nav = screen.getByRole("navigation", { name: "Breadcrumb" });
    const links = nav.querySelectorAll("a");
    expect([...links].map((a) => [a.textContent, a.getAttribute("href")])).toEqual([
      ["release parent-1", "/runs/parent-12345678"],
      ["step api", "/runs/parent-12345678?step=api"],
    ]);
    expect(nav.querySelector('[aria-current="page"]')?.textContent).toBe("deploy-one");
  });

  it("is not shown for a run nobody called", () => {
    render(
      <MemoryRouter>
        <ParentBreadcrumb run={run({ type: "manual" })} />
      </MemoryRouter>,
    );
    expect(screen.queryByRole("navigation", { name: "Breadcrumb" })).toBeNull();
  });
});
