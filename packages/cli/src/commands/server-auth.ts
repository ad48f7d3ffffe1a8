/**
 * How client commands (`gantry logs`, `gantry schedules`) authenticate to a server that requires it: the
 * API key in GANTRY_API_KEY, sent as `Authorization: Bearer`, as scripts and CI jobs do with the API.
 */
export function authHeaders(env: NodeJS.ProcessEnv = process.env): Record<string, string> {
  const key = env.GANTRY_API_KEY?.trim();
  return key ? { authorization: `Bearer ${key}` } : {};
}

/** A 401 or 403 with a hint at what to do, instead of the bare status. */
export function authHint(status: number): string {
  if (status === 401) return " (set GANTRY_API_KEY to an API key: gantry keys create)";
  if (status === 403) return " (the API key's role does not allow this)";
  return "";
}
