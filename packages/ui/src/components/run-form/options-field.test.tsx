import { QueryClient, QueryClientProvider } from "@tanstack/react-query";
import { cleanup, fireEvent, render, screen, waitFor } from "@testing-library/react";
import { createMemoryRouter, RouterProvider } from "react-router";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import type { JsonSchemaObject } from "@/lib/api";
import { RunForm } from "./run-form";

// As core's inputsJsonSchema writes `region` (a script) and `host` (depends on region).
const schema: JsonSchemaObject = {
  type: "object",
  additionalProperties: false,
  properties: {
    region: { "x-options-from": { depends_on: [] } },
    host: { description: "The host", "x-options-from": { depends_on: ["region"] } },
  },
  required: ["region", "host"],
};

const json = (status: number, body: unknown) =>
  new Response(JSON.stringify(body), { status, headers: { "content-type": "application/json" } });

function renderForm(reply: (url: URL) => Response | Promise<Response>) {
  const fetchMock = vi.fn(async (input: string) => reply(new URL(input, "http://ui")));
  vi.stubGlobal("fetch", fetchMock);
  const router = createMemoryRouter(
    [
      { path: "/", element: <RunForm workflow="deploy" schema={schema} /> },
      { path: "/runs/:id", element: <p>run page</p> },
    ],
    { initialEntries: ["/"] },
  );
  render(
    <QueryClientProvider client={new QueryClient()}>
      <RouterProvider router={router} />
    </QueryClientProvider>,
  );
  return { fetchMock, router };
}

const optionTexts = (label: RegExp) =>
  [...(screen.getByLabelText(label) as HTMLSelectElement).options].map((o) => o.textContent);

describe("RunForm options_from fields", () => {
  beforeEach(() => vi.unstubAllGlobals());
  afterEach(cleanup);

  it("loads options, reloads a dependent field when its parent changes, shows errors with a retry", async () => {
    let failHosts = false;
    let releaseHosts: () => void = () => {};
    const { fetchMock, router } = renderForm(async (url) => {
      if (url.pathname.endsWith("/runs")) return json(201, { id: "r7" });
      if (url.pathname.endsWith("/region/options"))
        return json(200, { options: [{ value: "eu" }, { value: "us", label: "US" }], waiting_for: [] });
      const region = url.searchParams.get("region") ?? "";
      if (!region) return json(200, { options: [], waiting_for: ["region"] });
      if (failHosts) return json(502, { error: "computing the options failed: boom" });
      await new Promise<void>((resolve) => {
        releaseHosts = resolve;
      });
      return json(200, { options: [{ value: `${region}-1` }, { value: `${region}-2` }], waiting_for: [] });
    });
    await waitFor(() => expect(optionTexts(/^region/)).toEqual(["–", "eu", "US"]));
    expect(await screen.findByText("Choose region first.")).toBeTruthy();
    expect((screen.getByLabelText(/^host/) as HTMLSelectElement).disabled).toBe(true);

    fireEvent.change(screen.getByLabelText(/^region/), { target: { value: "0" } });
    await waitFor(() => expect(optionTexts(/^host/)).toEqual(["Loading options…"]));
    expect(screen.getByLabelText(/^host/).getAttribute("aria-busy")).toBe("true");
    releaseHosts();
    await waitFor(() => expect(optionTexts(/^host/)).toEqual(["–", "eu-1", "eu-2"]));

    fireEvent.change(screen.getByLabelText(/^host/), { target: { value: "1" } });
    failHosts = true;
    fireEvent.change(screen.getByLabelText(/^region/), { target: { value: "1" } });
    expect(await screen.findByText(/Could not load the options: .*boom/)).toBeTruthy();
    const hostCalls = () => fetchMock.mock.calls.filter(([u]) => String(u).includes("/host/options")).length;
    const before = hostCalls();
    failHosts = false;
    fireEvent.click(screen.getByRole("button", { name: "Retry" }));
    await waitFor(() => expect(hostCalls()).toBe(before + 1));
    releaseHosts();
    await waitFor(() => expect(optionTexts(/^host/)).toEqual(["–", "us-1", "us-2"]));
    // eu-2 was chosen under eu: it is not an option under us, so it was cleared rather than sent.
    expect((screen.getByLabelText(/^host/) as HTMLSelectElement).value).toBe("");
    fireEvent.change(screen.getByLabelText(/^host/), { target: { value: "0" } });
    fireEvent.click(screen.getByRole("button", { name: "Run" }));
    await waitFor(() => expect(router.state.location.pathname).toBe("/runs/r7"));
    const post = fetchMock.mock.calls.find(([u]) => String(u).endsWith("/runs")) as unknown as [
      string,
      RequestInit,
    ];
    expect(JSON.parse(String(post[1].body))).toEqual({ inputs: { region: "us", host: "us-1" } });
  });
});
