import { QueryClient, QueryClientProvider } from "@tanstack/react-query";
import { cleanup, fireEvent, render, screen, waitFor } from "@testing-library/react";
import { createMemoryRouter, RouterProvider } from "react-router";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import type { JsonSchemaObject } from "@/lib/api";
import { RunForm } from "./run-form";

// The schema as core's inputsJsonSchema writes it for examples/inputs-tour.yaml.
const schema: JsonSchemaObject = {
  type: "object",
  additionalProperties: false,
  properties: {
    service: { type: "string", description: "The service to deploy" },
    environment: { enum: ["staging", "production"], default: "staging" },
    replicas: { type: "integer", minimum: 1, maximum: 20, default: 2 },
    dry_run: { type: "boolean", default: true },
    token: { type: "string", writeOnly: true, format: "password" },
    labels: { type: "object", default: { team: "platform" } },
  },
  required: ["service"],
};

function renderForm(fetchReply: () => Response) {
  const fetchMock = vi.fn(async () => fetchReply());
  vi.stubGlobal("fetch", fetchMock);
  const router = createMemoryRouter(
    [
      { path: "/", element: <RunForm workflow="inputs-tour" schema={schema} /> },
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

const json = (status: number, body: unknown) =>
  new Response(JSON.stringify(body), { status, headers: { "content-type": "application/json" } });

describe("RunForm", () => {
  beforeEach(() => vi.unstubAllGlobals());
  afterEach(cleanup);

  it("generates a typed, labelled field per input with defaults filled and required marked", () => {
    renderForm(() => json(201, { id: "r1" }));
    const service = screen.getByLabelText(/^service/);
    expect(service).toHaveProperty("required", true);
    expect(screen.getByText("The service to deploy")).toBeTruthy();
    expect((screen.getByLabelText(/^environment/) as HTMLSelectElement).tagName).toBe("SELECT");
    expect((screen.getByLabelText(/^environment/) as HTMLSelectElement).selectedOptions[0]?.textContent).toBe(
      "staging",
    );
    expect((screen.getByLabelText(/^replicas/) as HTMLInputElement).type).toBe("number");
    expect((screen.getByLabelText(/^replicas/) as HTMLInputElement).value).toBe("2");
    expect(screen.getByRole("switch").getAttribute("aria-checked")).toBe("true");
    expect((screen.getByLabelText(/^token/) as HTMLInputElement).type).toBe("password");
    expect((screen.getByLabelText(/^labels/) as HTMLTextAreaElement).value).toContain('"team": "platform"');
    expect(screen.getByRole("button", { name: "Run" })).toBeTruthy();
  });

  it("shows a validation message and sends nothing while a required input is empty", async () => {
    const { fetchMock } = renderForm(() => json(201, { id: "r1" }));
    fireEvent.click(screen.getByRole("button", { name: "Run" }));
    await screen.findByText("Enter a service");
    expect(screen.queryByText(/must have required property/)).toBeNull();
    expect(fetchMock).not.toHaveBeenCalled();
  });

  it("refuses JSON that does not parse in an object field", async () => {
    renderForm(() => json(201, { id: "r1" }));
    fireEvent.change(screen.getByLabelText(/^labels/), { target: { value: "{not json" } });
    expect(await screen.findByText(/not valid JSON/)).toBeTruthy();
  });

  it("posts the typed inputs and opens the run's page", async () => {
    const { fetchMock, router } = renderForm(() => json(201, { id: "r42" }));
    fireEvent.change(screen.getByLabelText(/^service/), { target: { value: "billing" } });
    fireEvent.change(screen.getByLabelText(/^environment/), { target: { value: "1" } });
    fireEvent.click(screen.getByRole("switch"));
    fireEvent.click(screen.getByRole("button", { name: "Run" }));
    await waitFor(() => expect(router.state.location.pathname).toBe("/runs/r42"));
    const [url, init] = fetchMock.mock.calls[0] as unknown as [string, RequestInit];
    expect(url).toBe("/api/v1/workflows/inputs-tour/runs");
    expect(JSON.parse(String(init.body))).toEqual({
      inputs: {
        service: "billing",
        environment: "production",
        replicas: 2,
        dry_run: false,
        labels: { team: "platform" },
      },
    });
  });

  it("shows the server's 400 under the field it names", async () => {
    renderForm(() =>
      json(400, {
        error: "bad",
        errors: [{ field: "replicas", message: "input 'replicas': quota is 3 here" }],
      }),
    );
    fireEvent.change(screen.getByLabelText(/^service/), { target: { value: "billing" } });
    fireEvent.click(screen.getByRole("button", { name: "Run" }));
    const message = await screen.findByText("input 'replicas': quota is 3 here");
    // Rendered inside the replicas field's block, not in a list at the top.
    expect(message.closest("div")?.textContent).toContain("input 'replicas'");
    expect(screen.getByLabelText(/^replicas/).closest("div")?.parentElement?.textContent).toContain(
      "quota is 3 here",
    );
  });
});
