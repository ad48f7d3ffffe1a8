/** What a run's status becomes on GitHub, as a commit status and as a check run. */

/** Commit statuses have four states; a cancelled run is an error with a description that says so. */
export function commitStatusOf(
  runStatus: string,
  workflow: string,
  targetUrl: string | undefined,
): {
  state: "pending" | "success" | "failure" | "error";
  description: string;
  context: string;
  target_url?: string;
} {
  const base = { context: workflow, ...(targetUrl ? { target_url: targetUrl } : {}) };
  switch (runStatus) {
    case "succeeded":
      return { ...base, state: "success", description: "Succeeded" };
    case "skipped":
      return { ...base, state: "success", description: "Skipped" };
    case "failed":
      return { ...base, state: "failure", description: "Failed" };
    case "timed_out":
      return { ...base, state: "failure", description: "Timed out" };
    case "cancelled":
      return { ...base, state: "error", description: "Cancelled" };
    case "running":
      return { ...base, state: "pending", description: "Running" };
    default:
      return { ...base, state: "pending", description: "Queued" };
  }
}

export interface CheckRunFields {
  status: "queued" | "in_progress" | "completed";
  conclusion?: "success" | "failure" | "cancelled" | "timed_out" | "skipped";
}

export function checkRunOf(runStatus: string): CheckRunFields {
  switch (runStatus) {
    case "succeeded":
      return { status: "completed", conclusion: "success" };
    case "failed":
      return { status: "completed", conclusion: "failure" };
    case "timed_out":
      return { status: "completed", conclusion: "timed_out" };
    case "cancelled":
      return { status: "completed", conclusion: "cancelled" };
    case "skipped":
      return { status: "completed", conclusion: "skipped" };
    case "running":
      return { status: "in_progress" };
    default:
      return { status: "queued" };
  }
}

/** The run's page for a person: `server.public_url` + /runs/<id>; undefined without a public URL. */
export function runPageUrl(publicUrl: string | undefined, runId: string): string | undefined {
  return publicUrl ? `${publicUrl.replace(/\/+$/, "")}/runs/${encodeURIComponent(runId)}` : undefined;
}
