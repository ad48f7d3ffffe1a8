import { describe } from "vitest";
import { sqliteDatabase } from "../testing/databases.js";
import { senderWakeSuite } from "./sender-wake-suite.js";

describe("notification sender wake-ups (SQLite)", () => senderWakeSuite(sqliteDatabase));
