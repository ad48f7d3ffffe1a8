// Writes the published JSON Schemas (schema/*.schema.json) from the TypeScript definitions in core,
// so editors (yaml-language-server) and Gantry validate against exactly the same rules.
import { writeFileSync } from "node:fs";
import { actionSchema, workflowSchema } from "../packages/core/dist/index.js";

const out = new URL("../schema/", import.meta.url);
for (const [name, schema] of [
  ["workflow", workflowSchema],
  ["action", actionSchema],
]) {
  writeFileSync(new URL(`${name}.schema.json`, out), `${JSON.stringify(schema, null, 2)}\n`);
}
