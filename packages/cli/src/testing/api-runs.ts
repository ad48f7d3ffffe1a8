// biome-ignore-all lint/suspicious/noTemplateCurlyInString: the workflow below is full of ${{ }}.
import { waitFor } from "../../../engine/src/testing/wait-for.js";

/** A workflow with a secret-typed input whose step reports the secret's length: it can read it back. */
export const SECRET_LENGTH_WORKFLOW = `name: secret
inputs:
  token: { type: secret, required: true }
steps:
  use:
    env: { TOKEN: "\${{ inputs.token }}" }
    run: echo "length=\${#TOKEN}" >> "$GANTRY_OUTPUT"
outputs:
  length: \${{ steps.use.outputs.length }}
`;

/** Starts a run through the API (POST `route` with `body`) and waits for it to end. */
export async function runToEnd(
  apiUrl: string,
  route: string,
  body: unknown,
): Promise<Record<string, unknown>> {
  const created = (await (
    await fetch(`${apiUrl}${route}`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(body),
    })
  ).json()) as { id: string };
  return waitFor(
    async () => {
      const run = (await (await fetch(`${apiUrl}/api/v1/runs/${created.id}`)).json()) as Record<
        string,
        unknown
      >;
      return ["succeeded", "failed", "cancelled", "timed_out"].includes(run.status as string)
        ? run
        : undefined;
    },
    { timeoutMs: 60_000, what: `run ${created.id} to end` },
  );
}
