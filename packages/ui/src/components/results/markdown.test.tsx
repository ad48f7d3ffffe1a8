import { cleanup, render } from "@testing-library/react";
import { afterEach, describe, expect, it } from "vitest";
import type { RunDetail } from "@/lib/api";
import { Markdown } from "./markdown";
import { SummariesCard } from "./summaries-card";

describe("step summaries", () => {
  afterEach(cleanup);

  it("renders GitHub-flavoured Markdown: headings, tables, links, code", () => {
    const { container } = render(
      <Markdown
        text={
          "## Tests\n\n| suite | passed |\n| --- | --- |\n| unit | 12 |\n\nSee [the docs](https://example.com/x) and `npm test`.\n\n- [x] lint"
        }
      />,
    );
    expect(container.querySelector("h2")?.textContent).toBe("Tests");
    expect([...container.querySelectorAll("td")].map((td) => td.textContent)).toEqual(["unit", "12"]);
    expect(container.querySelector("a")?.getAttribute("href")).toBe("https://example.com/x");
    expect(container.querySelector("code")?.textContent).toBe("npm test");
    expect(container.querySelector("input[type=checkbox]")).not.toBeNull();
  });

  it("drops raw HTML, scripts, event handlers and javascript: links", () => {
    const { container } = render(
      <Markdown
        text={[
          "<script>window.pwned = 1</script>",
          '<img src=x onerror="window.pwned = 2">',
          '<iframe src="https://evil.example"></iframe>',
          "[click](javascript:alert(1))",
          "![img](javascript:alert(2))",
          "<b>bold?</b> text stays",
        ].join("\n\n")}
      />,
    );
    expect(container.querySelector("script, iframe, b")).toBeNull();
    expect(container.querySelector("[onerror]")).toBeNull();
    for (const el of container.querySelectorAll("a, img")) {
      expect(`${el.getAttribute("href") ?? ""}${el.getAttribute("src") ?? ""}`).not.toMatch(/javascript:/i);
    }
    expect(container.textContent).toContain("text stays");
    expect((window as unknown as { pwned?: number }).pwned).toBeUndefined();
  });

  it("shows each step's summary in the graph's order, and nothing when no step wrote one", () => {
    const run = {
      steps: {
        build: { status: "succeeded", summary: "# built" },
        test: { status: "succeeded", summary: "# tested" },
        lint: { status: "succeeded" },
      },
    } as unknown as RunDetail;
    const { container } = render(<SummariesCard run={run} order={["test", "lint", "build"]} />);
    expect(
      [...container.querySelectorAll("[data-summary-step]")].map((s) => s.getAttribute("data-summary-step")),
    ).toEqual(["test", "build"]);
    cleanup();
    const none = render(
      <SummariesCard run={{ steps: { a: { status: "running" } } } as unknown as RunDetail} order={["a"]} />,
    );
    expect(none.container.innerHTML).toBe("");
  });
});
