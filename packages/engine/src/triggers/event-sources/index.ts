import type { EventTriggerKind } from "@gantry/core";
import type { SourceStarter } from "../event-source.js";

/**
 * Each kind's adapter, imported on first use: a server whose workflows use no MQTT trigger never loads
 * the MQTT client (nor the AWS SDK, amqplib, nats, pg-logical-replication).
 */
export async function sourceFor(
  kind: EventTriggerKind,
  config: Record<string, unknown>,
): Promise<SourceStarter> {
  switch (kind) {
    case "rabbitmq":
      return (await import("./rabbitmq.js")).startRabbitmq;
    case "kinesis":
      return (await import("./kinesis.js")).startKinesis;
    case "postgres":
      return typeof config.table === "string"
        ? (await import("./postgres-logical.js")).startPostgresLogical
        : (await import("./postgres-notify.js")).startPostgresNotify;
    case "mqtt":
      return (await import("./mqtt.js")).startMqtt;
    case "nats":
      return (await import("./nats.js")).startNats;
    case "workflow":
      return (await import("./workflow-chain.js")).startWorkflowChain;
  }
}
