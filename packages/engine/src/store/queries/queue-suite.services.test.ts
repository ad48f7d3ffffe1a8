import { postgresDatabase } from "../../testing/databases.js";
import { describeQueueQueries } from "./queue-suite.js";

describeQueueQueries("PostgreSQL", postgresDatabase);
