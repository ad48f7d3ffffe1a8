import { sqliteDatabase } from "../testing/databases.js";
import { describeService } from "./service-suite.js";

describeService("SQLite", sqliteDatabase);
