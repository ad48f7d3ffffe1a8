import { postgresDatabase } from "../testing/databases.js";
import { describeOptionsOnStart } from "./start-check-suite.js";

describeOptionsOnStart("PostgreSQL", postgresDatabase);
