import { postgresDatabase } from "../testing/databases.js";
import { describeSources } from "./sources-suite.js";

describeSources("PostgreSQL", postgresDatabase);
