import { QueryClient, QueryClientProvider } from "@tanstack/react-query";
import { cleanup, render, screen, within } from "@testing-library/react";
import { createMemoryRouter, RouterProvider } from "react-router";
import { afterEach, describe, expect, it, vi } from "vitest";
import type { EventTrigger } from "@/lib/api";
import { TriggersPage } from "./triggers";

const trigger: EventTrigger = {
  id: "lenient:rabbitmq:0",
  workflow: "lenient",
  kind: "rabbitmq",
  config: { queue: "orders" },
  inputs: { order: "$\u007b{ trigger.payload.id }}" },
  state: "connected",
  connected: true,
  holder: "server-1",
  connected_at: "2026-05-10T11:00:00Z",
  last_event_at: "2026-05-10T11:59:00Z",
  last_run_id: "run-1",
  last_error: null,
  last_error_at: null,
  events: 1,
  failures: 0,
  state_at: "2026-05-10T11:59:00Z",
  notes: [
    {
      kind: "duplicate",
      key: "t1",
      run_id: "run-1",
      message: "dropped: event t1 was delivered before and started run run-1",
      at: "2026-05-10T11:59:30Z",
    },
    {
      kind: "unmapped",
      key: "t1",
      run_id: "run-1",
      message:
        "input 'order' found nothing in the event (the payload is text, not JSON) and took its default",
      at: "2026-05-10T11:59:00Z",
    },
  ],
};

describe("the Triggers page", () => {
  afterEach(() => {
    cleanup();
    vi.unstubAllGlobals();
  });

  it("lists dropped duplicates and inputs that took their defaults under their trigger", async () => {
    vi.stubGlobal(
      "fetch",
      vi.fn(
        async () =>
          new Response(JSON.stringify({ triggers: [trigger] }), {
            status: 200,
            headers: { "content-type": "application/json" },
          }),
      ),
    );
    const router = createMemoryRouter([{ path: "/triggers", element: <TriggersPage /> }], {
      initialEntries: ["/triggers"],
    });
    render(
      <QueryClientProvider client={new QueryClient()}>
        <RouterProvider router={router} />
      </QueryClientProvider>,
    );
    const notes = await screen.findByRole("list", { name: "Notes of lenient:rabbitmq:0" });
    const items = within(notes).getAllByRole("listitem");
    expect(items.map((li) => li.getAttribute("data-note"))).toEqual(["duplicate", "unmapped"]);
    expect(items[0]?.textContent).toContain("dropped: event t1 was delivered before");
    expect(items[1]?.textContent).toContain("the payload is text, not JSON");
  });
});
