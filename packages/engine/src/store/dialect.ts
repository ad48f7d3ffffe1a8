/** The two stores Gantry runs on; queries and migrations branch on it where their SQL differs. */
export type Dialect = "sqlite" | "postgres";
