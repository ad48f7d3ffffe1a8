import { postgresDatabase } from "../testing/databases.js";
import { describeWorker } from "./worker-suite.js";

describeWorker("PostgreSQL", postgresDatabase);
