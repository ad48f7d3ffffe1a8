import { sqliteDatabase } from "../testing/databases.js";
import { describeRunSteps } from "./run-steps-suite.js";

describeRunSteps("SQLite", sqliteDatabase);
