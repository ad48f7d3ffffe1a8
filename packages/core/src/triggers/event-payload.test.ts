// biome-ignore-all lint/suspicious/noTemplateCurlyInString: workflows in these tests are full of ${{ }}.
import { describe, expect, it } from "vitest";
import { decodePayload, EventMappingError, eventTrigger, mapEventInputs } from "./event-payload.js";

describe("event payloads", () => {
  it("parses JSON bodies and keeps anything else as text", () => {
    expect(decodePayload('{"id": 7, "tags": ["a"]}')).toEqual({ id: 7, tags: ["a"] });
    expect(decodePayload(" [1, 2] ")).toEqual([1, 2]);
    expect(decodePayload("42")).toBe(42);
    expect(decodePayload("true")).toBe(true);
    expect(decodePayload("hello world")).toBe("hello world");
    expect(decodePayload("[warn] disk full")).toBe("[warn] disk full");
    expect(decodePayload("")).toBe("");
  });

  it("builds the trigger record; metadata cannot replace type, trigger or payload", () => {
    expect(
      eventTrigger("rabbitmq", "wf:rabbitmq:0", { a: 1 }, { queue: "q", type: "x", payload: "y" }),
    ).toEqual({
      type: "rabbitmq",
      trigger: "wf:rabbitmq:0",
      payload: { a: 1 },
      queue: "q",
    });
  });

  it("maps the event to inputs with expressions, keeping types", () => {
    const trigger = eventTrigger(
      "mqtt",
      "t",
      { order: { id: 12, items: ["x", "y"] }, env: "prod" },
      { topic: "a/b" },
    );
    expect(
      mapEventInputs(
        {
          id: "${{ trigger.payload.order.id }}",
          items: "${{ trigger.payload.order.items }}",
          label: "order ${{ trigger.payload.order.id }} from ${{ trigger.topic }}",
          fixed: 3,
          missing: "${{ trigger.payload.nothing }}",
        },
        trigger,
      ),
    ).toEqual({ id: 12, items: ["x", "y"], label: "order 12 from a/b", fixed: 3 });
  });

  it("names the input whose expression fails", () => {
    expect(() =>
      mapEventInputs({ id: "${{ fromJSON(trigger.payload) }}" }, eventTrigger("nats", "t", "not json")),
    ).toThrow(EventMappingError);
    expect(() =>
      mapEventInputs({ id: "${{ fromJSON(trigger.payload) }}" }, eventTrigger("nats", "t", "not json")),
    ).toThrow(/^inputs\.id: /);
  });
});
