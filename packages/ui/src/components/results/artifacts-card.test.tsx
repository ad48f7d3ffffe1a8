import { QueryClient, QueryClientProvider } from "@tanstack/react-query";
import { cleanup, render, screen } from "@testing-library/react";
import { afterEach, describe, expect, it, vi } from "vitest";
import type { Artifact, RunDetail } from "@/lib/api";
import { ArtifactsCard } from "./artifacts-card";

const ARTIFACT: Artifact = {
  name: "dist",
  step: "build",
  files: 3,
  size: 1536,
  sha256: "ab".repeat(32),
  created_at: "2026-12-07T08:00:00.000Z",
  expires_at: null,
  download_url: "/api/v1/runs/r1/artifacts/dist",
};

function renderCard(artifacts: Artifact[]) {
  vi.stubGlobal(
    "fetch",
    vi.fn(
      async () =>
        new Response(JSON.stringify({ artifacts }), { headers: { "content-type": "application/json" } }),
    ),
  );
  return render(
    <QueryClientProvider client={new QueryClient()}>
      <ArtifactsCard run={{ id: "r1", status: "succeeded" } as RunDetail} />
    </QueryClientProvider>,
  );
}

describe("the run page's artifacts", () => {
  afterEach(() => {
    cleanup();
    vi.unstubAllGlobals();
  });

  it("lists each artifact with its size, hash and a download link", async () => {
    renderCard([ARTIFACT]);
    const link = await screen.findByRole("link", { name: /dist/ });
    expect(link.getAttribute("href")).toBe("/api/v1/runs/r1/artifacts/dist");
    expect(link.hasAttribute("download")).toBe(true);
    expect(screen.getByText("1.5 KiB")).toBeDefined();
    expect(screen.getByText("abababababab").getAttribute("title")).toBe(ARTIFACT.sha256);
    expect(screen.getByText("never")).toBeDefined();
  });
});
