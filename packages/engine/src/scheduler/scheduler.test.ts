import { sqliteDatabase } from "../testing/databases.js";
import { describeScheduler } from "./scheduler-suite.js";

describeScheduler("SQLite", sqliteDatabase);
