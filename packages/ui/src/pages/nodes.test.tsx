import { QueryClient, QueryClientProvider } from "@tanstack/react-query";
import { cleanup, fireEvent, render, screen, waitFor, within } from "@testing-library/react";
import { createMemoryRouter, RouterProvider } from "react-router";
import { afterEach, describe, expect, it, vi } from "vitest";
import type { NodeList } from "@/lib/api";
import { NodesPage } from "./nodes";

const LIST: NodeList = {
  total: 2,
  problems: ["hosts.ini: line 3: expected 'name=value' after the host, got 'oops'"],
  nodes: [
    {
      name: "web-1",
      host: "10.0.0.11",
      port: 22,
      user: "deploy",
      tags: ["web", "eu"],
      attributes: { env: "prod" },
      auth: "key",
      host_keys: [{ type: "ssh-ed25519", fingerprint: "SHA256:abc" }],
      origin: "gantry.yaml",
    },
    {
      name: "db-1",
      host: "10.0.1.5",
      port: 2222,
      user: null,
      tags: ["db"],
      attributes: {},
      auth: "none",
      host_keys: [],
      origin: "/etc/gantry/hosts.ini",
    },
  ],
};

function renderPage(reply: (url: string) => Response, initial = "/nodes") {
  const fetchMock = vi.fn(async (url: string) => reply(url));
  vi.stubGlobal("fetch", fetchMock);
  const router = createMemoryRouter([{ path: "/nodes", element: <NodesPage /> }], {
    initialEntries: [initial],
  });
  render(
    <QueryClientProvider client={new QueryClient()}>
      <RouterProvider router={router} />
    </QueryClientProvider>,
  );
  return { fetchMock, router };
}

const json = (status: number, body: unknown) =>
  new Response(JSON.stringify(body), { status, headers: { "content-type": "application/json" } });

describe("the Nodes page", () => {
  afterEach(() => {
    cleanup();
    vi.unstubAllGlobals();
  });

  it("lists the inventory with addresses, tags, logins, host keys and what could not be read", async () => {
    renderPage(() => json(200, LIST));
    const row = await screen.findByText("web-1");
    const cells = within(row.closest("tr") as HTMLElement);
    expect(cells.getByText("deploy@10.0.0.11")).toBeTruthy();
    expect(cells.getByText("eu")).toBeTruthy();
    expect(cells.getByText("env=prod")).toBeTruthy();
    expect(cells.getByText("SHA256:abc")).toBeTruthy();
    const db = within(screen.getByText("db-1").closest("tr") as HTMLElement);
    expect(db.getByText("10.0.1.5:2222")).toBeTruthy();
    expect(db.getByText("known_hosts")).toBeTruthy();
    expect(screen.getByRole("alert").textContent).toContain("line 3: expected 'name=value'");
    expect(screen.getByText("2 nodes")).toBeTruthy();
  });

  it("sends the selector typed, keeps it in the URL, and shows where a bad one goes wrong", async () => {
    const { fetchMock, router } = renderPage((url) =>
      url.includes("filter=tags%3Aweb%20eu")
        ? json(400, {
            error: "filter: expected 'and' or 'or' before 'eu' (there is no implicit 'and') (column 10)",
          })
        : url.includes("filter=")
          ? json(200, { ...LIST, nodes: [LIST.nodes[0]] })
          : json(200, LIST),
    );
    await screen.findByText("db-1");
    const input = screen.getByLabelText("Node selector");
    fireEvent.change(input, { target: { value: "tags:web" } });
    await waitFor(() => expect(screen.getByText("1 of 2 nodes match")).toBeTruthy(), { timeout: 3000 });
    expect(router.state.location.search).toBe("?filter=tags%3Aweb");
    expect(screen.queryByText("db-1")).toBeNull();
    fireEvent.change(input, { target: { value: "tags:web eu" } });
    await waitFor(() => expect(input.getAttribute("aria-invalid")).toBe("true"), { timeout: 3000 });
    expect(screen.getByText(/before 'eu' \(there is no implicit 'and'\) \(column 10\)/)).toBeTruthy();
    // The last list that could be read stays while the selector is being fixed.
    expect(screen.getByText("web-1")).toBeTruthy();
    // A bad selector is not retried.
    expect(fetchMock.mock.calls.filter(([url]) => String(url).includes("eu")).length).toBe(1);
  });
});
