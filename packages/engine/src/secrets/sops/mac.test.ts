import { describe, expect, it } from "vitest";
import { goFormatFloat, macBytes } from "./mac.js";

// Expected strings are Go's: fmt.Println(strconv.FormatFloat(x, 'f', -1, 64)).
describe("MAC input bytes, as sops' Go ToBytes writes them", () => {
  it.each([
    [1234568000, "1234568000"],
    [25.4, "25.4"],
    [1e21, "1000000000000000000000"],
    [-2.5e22, "-25000000000000000000000"],
    [1e-7, "0.0000001"],
    [1.5e-10, "0.00000000015"],
    [123.456e-9, "0.000000123456"],
    [-0, "-0"],
    [Number.POSITIVE_INFINITY, "+Inf"],
    [Number.NaN, "NaN"],
  ])("FormatFloat(%d) = %s", (n, text) => {
    expect(goFormatFloat(n)).toBe(text);
  });

  it("bools as True/False, strings and bytes as they are", () => {
    expect(macBytes(true).toString()).toBe("True");
    expect(macBytes(false).toString()).toBe("False");
    expect(macBytes("é").equals(Buffer.from("é", "utf8"))).toBe(true);
    expect(macBytes(new Uint8Array([0, 255])).equals(Buffer.from([0, 255]))).toBe(true);
  });
});
