import { describe, expect, it } from "vitest";
import { didYouMean } from "./did-you-mean.js";

describe("didYouMean", () => {
  it("suggests the closest known word when it is close enough", () => {
    expect(didYouMean("nedds", ["name", "needs", "run"])).toBe(" (did you mean 'needs'?)");
    expect(didYouMean("continue_on_eror", ["continue_on_error", "retry"])).toBe(
      " (did you mean 'continue_on_error'?)",
    );
  });

  it("suggests nothing when no word is close, or there are none", () => {
    expect(didYouMean("zzzzzz", ["needs", "run"])).toBe("");
    expect(didYouMean("needs", [])).toBe("");
  });
});
