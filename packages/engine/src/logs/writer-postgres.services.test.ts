import { postgresContext } from "../testing/log-fixtures.js";
import { describeLogWriter } from "./writer-suite.js";

describeLogWriter("PostgreSQL", postgresContext);
