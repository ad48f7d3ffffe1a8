import { postgresDatabase } from "../testing/databases.js";
import { describeRunSteps } from "./run-steps-suite.js";

describeRunSteps("PostgreSQL", postgresDatabase);
