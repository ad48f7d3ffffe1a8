import { postgresDatabase } from "../testing/databases.js";
import { describeUnitOfWork } from "./unit-of-work-suite.js";

describeUnitOfWork("PostgreSQL", postgresDatabase);
