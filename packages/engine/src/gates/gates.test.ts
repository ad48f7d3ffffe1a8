import { sqliteDatabase } from "../testing/databases.js";
import { describeGates } from "./gates-suite.js";

describeGates("SQLite", sqliteDatabase);
