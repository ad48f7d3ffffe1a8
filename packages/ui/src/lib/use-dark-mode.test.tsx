import { act, renderHook } from "@testing-library/react";
import { describe, expect, it } from "vitest";
import { useDarkMode } from "./use-dark-mode";

describe("useDarkMode", () => {
  it("follows the dark class on <html> as it is toggled", async () => {
    document.documentElement.classList.remove("dark");
    const { result } = renderHook(() => useDarkMode());
    expect(result.current).toBe(false);
    await act(async () => {
      document.documentElement.classList.add("dark");
      // MutationObserver callbacks run as a microtask after the change.
      await Promise.resolve();
    });
    expect(result.current).toBe(true);
    document.documentElement.classList.remove("dark");
  });
});
