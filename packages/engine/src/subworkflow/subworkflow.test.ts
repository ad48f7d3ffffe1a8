import { sqliteDatabase } from "../testing/databases.js";
import { describeSubWorkflowEnds } from "./subworkflow-suite.js";

describeSubWorkflowEnds("SQLite", sqliteDatabase);
