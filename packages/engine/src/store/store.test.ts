import { sqliteDatabase } from "../testing/databases.js";
import { describeStore } from "./store-suite.js";

describeStore("SQLite", sqliteDatabase);
