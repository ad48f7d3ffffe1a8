import { sqliteDatabase } from "../testing/databases.js";
import { describeUnitOfWork } from "./unit-of-work-suite.js";

describeUnitOfWork("SQLite", sqliteDatabase);
