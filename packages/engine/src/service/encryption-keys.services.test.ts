import { postgresDatabase } from "../testing/databases.js";
import { describeEncryptionKeys } from "./encryption-keys-suite.js";

describeEncryptionKeys("PostgreSQL", postgresDatabase);
