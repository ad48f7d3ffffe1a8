import { actionRuns, IDENTIFIER_PATTERN, inputSpec, inputs, runner } from "./definitions.js";
import { innerStep, innerSteps } from "./job-definitions.js";

/** JSON Schema (draft-07) of an `action.yaml`. */
export const actionSchema = {
  $schema: "http://json-schema.org/draft-07/schema#",
  title: "Gantry action",
  type: "object",
  additionalProperties: false,
  required: ["runs"],
  properties: {
    name: { type: "string" },
    description: { type: "string" },
    inputs,
    outputs: {
      type: "object",
      propertyNames: { pattern: IDENTIFIER_PATTERN },
      additionalProperties: {
        type: ["object", "null"],
        additionalProperties: false,
        properties: {
          description: { type: "string" },
          value: {
            type: "string",
            description: "composite: the output's value, e.g. from steps.<id>.outputs",
          },
        },
      },
    },
    runs: actionRuns,
    runner,
  },
  definitions: { input: inputSpec, job_step: innerStep, job_steps: innerSteps },
} as const;
