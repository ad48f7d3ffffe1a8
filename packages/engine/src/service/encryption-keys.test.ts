import { sqliteDatabase } from "../testing/databases.js";
import { describeEncryptionKeys } from "./encryption-keys-suite.js";

describeEncryptionKeys("SQLite", sqliteDatabase);
