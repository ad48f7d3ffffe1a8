import { postgresDatabase } from "../testing/databases.js";
import { describeGates } from "./gates-suite.js";

describeGates("PostgreSQL", postgresDatabase);
