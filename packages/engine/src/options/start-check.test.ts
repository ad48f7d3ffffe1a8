import { sqliteDatabase } from "../testing/databases.js";
import { describeOptionsOnStart } from "./start-check-suite.js";

describeOptionsOnStart("SQLite", sqliteDatabase);
