import { ProviderError } from "../../errors.js";
import { isRecord } from "../metadata.js";
import type { SopsDocument, SopsLeaf } from "../types.js";

/** sops' binary store: the file's bytes are one string under `data`, written as JSON with the `sops` block. */
export function parseBinarySops(text: string, file: string): SopsDocument {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new ProviderError(
      "format",
      `${file} is not a sops binary file (not JSON); pass ?format= if it is another format`,
    );
  }
  if (!isRecord(parsed) || !isRecord(parsed.sops) || typeof parsed.data !== "string") {
    throw new ProviderError("format", `${file} is not a sops binary file (expected "data" and "sops" keys)`);
  }
  let data: SopsLeaf = parsed.data;
  return {
    format: "binary",
    metadata: parsed.sops,
    rawStrings: true,
    walk(visitor) {
      data = visitor.leaf(data, ["data"]);
    },
    toValue: () => (typeof data === "string" ? Buffer.from(data, "utf8") : data),
    toText: () => (typeof data === "string" ? data : Buffer.from(data as Uint8Array).toString("utf8")),
  };
}
