import { sqliteDatabase } from "../../testing/databases.js";
import { describeQueueQueries } from "./queue-suite.js";

describeQueueQueries("SQLite", sqliteDatabase);
