import { render } from "@testing-library/react";
import { describe, expect, it } from "vitest";
import { AnsiText, stripAnsi } from "./ansi";

describe("AnsiText", () => {
  it("turns colour and bold escapes into styled spans and keeps the text", () => {
    const { container } = render(<AnsiText text={"\u001b[1;31mfailed\u001b[0m at step 2"} />);
    expect(container.textContent).toBe("failed at step 2");
    const red = container.querySelector("span");
    expect(red?.textContent).toBe("failed");
    // Bold red is drawn in the log's terminal palette (#f14c4c), not xterm's dark red.
    expect(red?.style.color).toBe("rgb(241, 76, 76)");
    expect(red?.style.fontWeight).toBe("600");
  });

  it("renders markup in a line as text, never as HTML", () => {
    const { container } = render(<AnsiText text={"\u001b[32m<img src=x onerror=alert(1)>\u001b[0m"} />);
    expect(container.querySelector("img")).toBeNull();
    expect(container.textContent).toBe("<img src=x onerror=alert(1)>");
  });

  it("strips escapes for search", () => {
    expect(stripAnsi("\u001b[34mblue\u001b[0m text")).toBe("blue text");
    expect(stripAnsi("plain")).toBe("plain");
  });
});
