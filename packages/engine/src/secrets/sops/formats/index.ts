import path from "node:path";
import type { SopsDocument, SopsFormat } from "../types.js";
import { parseBinarySops } from "./binary.js";
import { parseDotenvSops } from "./dotenv.js";
import { parseIniSops } from "./ini.js";
import { parseYamlSops } from "./yaml.js";

/** The format sops picks from a file name (formats.FormatForPath): anything unknown is binary. */
export function formatFromPath(file: string): SopsFormat {
  switch (path.extname(file).toLowerCase()) {
    case ".yaml":
    case ".yml":
      return "yaml";
    case ".json":
      return "json";
    case ".env":
      return "dotenv";
    case ".ini":
      return "ini";
    default:
      return "binary";
  }
}

export function parseSopsDocument(text: string, format: SopsFormat, file: string): SopsDocument {
  switch (format) {
    case "yaml":
    case "json":
      return parseYamlSops(text, file, format);
    case "dotenv":
      return parseDotenvSops(text, file);
    case "ini":
      return parseIniSops(text, file);
    case "binary":
      return parseBinarySops(text, file);
  }
}
