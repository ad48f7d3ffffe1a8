import type { Kysely, Transaction } from "kysely";
import type { Tables } from "../tables.js";

/** Every query takes the database or a transaction on it, so callers compose them into one transaction. */
export type Db = Kysely<Tables> | Transaction<Tables>;
