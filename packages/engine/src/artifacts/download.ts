import { getArtifact, latestSucceededArtifact } from "../store/queries/artifacts.js";
import type { ArtifactRow } from "../store/queries/ci-results-tables.js";
import { getRun } from "../store/queries/get-run.js";
import { type FilesContext, runBranch, stringInput } from "./context.js";
import { FilesError, insideWorkspace, unpackStream } from "./tarball.js";

/** `gantry/download-artifact`, before the step's script: finds the artifact and unpacks it. */
export async function downloadArtifact(
  ctx: FilesContext,
  workspace: string,
): Promise<Record<string, string>> {
  const name = stringInput(ctx.inputs, "name");
  const into = stringInput(ctx.inputs, "path") || ".";
  const dest = insideWorkspace(workspace, into, "with.path");
  const artifact = await findArtifact(ctx, name);
  const stream = await ctx.objects.open(artifact.object_key);
  if (!stream) {
    throw new FilesError(
      `artifact '${name}' of run ${artifact.run_id} is recorded but its object is gone from the store`,
    );
  }
  await unpackStream(stream, dest, artifact.sha256);
  ctx.log(
    `gantry/download-artifact: ${name} from run ${artifact.run_id}: ${artifact.files} file(s) into ${into}, sha256 ${artifact.sha256} checked`,
  );
  return { run_id: artifact.run_id, sha256: artifact.sha256, download_path: into };
}

async function findArtifact(ctx: FilesContext, name: string): Promise<ArtifactRow> {
  const runId = stringInput(ctx.inputs, "run_id");
  const workflow = stringInput(ctx.inputs, "workflow");
  const branch = stringInput(ctx.inputs, "branch");
  if (runId !== "" && (workflow !== "" || branch !== "")) {
    throw new FilesError("with.run_id: give either run_id or workflow and branch, not both");
  }
  if (runId !== "") {
    if (!(await getRun(ctx.db, runId))) throw new FilesError(`with.run_id: there is no run '${runId}'`);
    const found = await getArtifact(ctx.db, runId, name);
    if (!found) throw new FilesError(`with.name: run ${runId} has no artifact '${name}'`);
    return found;
  }
  if (workflow !== "" || branch !== "") {
    const q = {
      workflow: workflow || ctx.run.workflow,
      branch: branch || runBranch(ctx.run.info),
      name,
      excludeRun: ctx.run.id,
    };
    const found = await latestSucceededArtifact(ctx.db, q);
    if (!found) {
      throw new FilesError(
        `with.name: no succeeded run of workflow '${q.workflow}' on branch '${q.branch}' uploaded an artifact '${name}'`,
      );
    }
    return found;
  }
  const found = await getArtifact(ctx.db, ctx.run.id, name);
  if (!found)
    throw new FilesError(
      `with.name: this run has no artifact '${name}' (yet: is the uploading step in needs?)`,
    );
  return found;
}
