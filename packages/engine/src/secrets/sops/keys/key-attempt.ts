/** What one key source made of a file's recipients: the data key, or why not (never key material). */
export type KeyAttempt = { key: Buffer } | { failure: string };
