import { sqliteDatabase } from "../testing/databases.js";
import { describeSources } from "./sources-suite.js";

describeSources("SQLite", sqliteDatabase);
