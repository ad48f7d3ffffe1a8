import { describe } from "vitest";
import { postgresDatabase } from "../testing/databases.js";
import { senderWakeSuite } from "./sender-wake-suite.js";

describe("notification sender wake-ups (Postgres)", () => senderWakeSuite(() => postgresDatabase()));
