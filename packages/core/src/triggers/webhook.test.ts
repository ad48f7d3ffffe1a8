import { describe, expect, it } from "vitest";
import { validateWorkflowText } from "../validate/workflow.js";
import { findWebhook, webhookEntries } from "./webhook.js";

const messages = (text: string) =>
  validateWorkflowText("w.yaml", text).problems.map((p) => `${p.line}:${p.col}: ${p.message}`);

const STEPS = "steps:\n  t:\n    run: echo\n";

describe("on.webhook", () => {
  it("accepts a list or one entry, with a secret or a token", () => {
    const text = `inputs:\n  env: {type: string, required: true}\non:\n  webhook:\n    - name: a\n      secret: ref+env://A\n      inputs: {env: "\${{ trigger.payload.env }}"}\n    - {name: b.v2, token: ref+vault://hooks#/b, inputs: {env: x}}\n${STEPS}`;
    const result = validateWorkflowText("w.yaml", text);
    expect(result.problems).toEqual([]);
    const workflow = result.workflow;
    if (!workflow) throw new Error("invalid");
    expect(webhookEntries(workflow).map((e) => e.name)).toEqual(["a", "b.v2"]);
    expect(findWebhook(workflow, "b.v2")?.token).toBe("ref+vault://hooks#/b");
    const single = validateWorkflowText(
      "w.yaml",
      `on:\n  webhook: {name: one, secret: ref+env://S}\n${STEPS}`,
    );
    expect(single.problems).toEqual([]);
    expect(webhookEntries(single.workflow ?? { steps: {} })).toHaveLength(1);
  });

  it("refuses a literal secret, both or neither of secret and token, and repeated names", () => {
    expect(messages(`on:\n  webhook:\n    - {name: a, secret: hunter2}\n${STEPS}`)).toEqual([
      "3:25: on.webhook.0.secret: must be a secret reference such as ref+env://HOOK_SECRET, not the secret itself (the workflow is stored and shown by the API)",
    ]);
    expect(
      messages(`on:\n  webhook:\n    - {name: a, secret: ref+env://A, token: ref+env://B}\n${STEPS}`)[0],
    ).toContain("give either 'secret'");
    expect(messages(`on:\n  webhook:\n    - {name: a}\n${STEPS}`)[0]).toContain("not neither");
    expect(
      messages(
        `on:\n  webhook:\n    - {name: a, token: ref+env://A}\n    - {name: a, token: ref+env://B}\n${STEPS}`,
      ),
    ).toEqual(["4:14: on.webhook.1.name: 'a' is used by another webhook of this workflow"]);
  });

  it("checks names against the URL segment and inputs against the workflow's", () => {
    expect(messages(`on:\n  webhook: [{name: "a/b", token: ref+env://A}]\n${STEPS}`)[0]).toContain("name");
    const unknown = messages(
      `inputs:\n  env: {type: string}\non:\n  webhook: [{name: a, token: ref+env://A, inputs: {region: x}}]\n${STEPS}`,
    );
    expect(unknown).toEqual([
      "4:52: on.webhook.0.inputs: 'region' is not an input of this workflow (inputs: env)",
    ]);
    const required = messages(
      `inputs:\n  env: {type: string, required: true}\non:\n  webhook: [{name: a, token: ref+env://A}]\n${STEPS}`,
    );
    expect(required[0]).toContain("input 'env' is required: map it from the request");
  });
});
