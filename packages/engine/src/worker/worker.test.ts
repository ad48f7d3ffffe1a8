import { sqliteDatabase } from "../testing/databases.js";
import { describeWorker } from "./worker-suite.js";

describeWorker("SQLite", sqliteDatabase);
