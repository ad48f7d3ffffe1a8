import { postgresDatabase } from "../testing/databases.js";
import { describeSubWorkflowEnds } from "./subworkflow-suite.js";

describeSubWorkflowEnds("PostgreSQL", postgresDatabase);
