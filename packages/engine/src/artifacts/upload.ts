import { randomUUID } from "node:crypto";
import path from "node:path";
import { recordArtifact } from "../store/queries/artifacts.js";
import { type FilesContext, runBranch, stringInput } from "./context.js";
import { FilesError, packFiles, pathPatterns } from "./tarball.js";

const DAY_MS = 86_400_000;

/** The object key of a run's artifact. */
export function artifactKey(runId: string, name: string): string {
  return `artifacts/${runId}/${name}.tar.gz`;
}

/** `gantry/upload-artifact`, after the step's script: packs the matched files and stores them. */
export async function uploadArtifact(ctx: FilesContext, workspace: string): Promise<Record<string, string>> {
  const name = stringInput(ctx.inputs, "name");
  const patterns = pathPatterns(stringInput(ctx.inputs, "path"), "with.path");
  if (patterns.length === 0) throw new FilesError("with.path: no pattern given");
  const tarball = await packFiles(
    workspace,
    patterns,
    path.join(ctx.scratch, "artifact.tar.gz"),
    ctx.limits.artifactBytes,
    "with.path",
  );
  if (tarball.files === 0) {
    const policy = stringInput(ctx.inputs, "if_no_files_found") || "error";
    const message = `no files match ${patterns.map((p) => `'${p}'`).join(", ")}`;
    if (policy === "error") throw new FilesError(`with.path: ${message} (if_no_files_found: error)`);
    if (policy === "warn") ctx.log(`gantry/upload-artifact: warning: ${message}; nothing uploaded`);
    return { files: "0" };
  }
  const key = artifactKey(ctx.run.id, name);
  await ctx.objects.putFile(key, tarball.file, tarball.size);
  const now = ctx.now();
  const days = Number(ctx.inputs.retention_days ?? 90);
  const id = randomUUID();
  const recorded = await recordArtifact(ctx.db, {
    id,
    run_id: ctx.run.id,
    workflow: ctx.run.workflow,
    step: ctx.step,
    branch: runBranch(ctx.run.info),
    name,
    object_key: key,
    files: tarball.files,
    size: tarball.size,
    sha256: tarball.sha256,
    created_at: now,
    expires_at: now + days * DAY_MS,
  });
  if (!recorded)
    throw new FilesError(`with.name: another step of this run uploaded an artifact named '${name}'`);
  ctx.log(
    `gantry/upload-artifact: ${name}: ${tarball.files} file(s), ${tarball.size} bytes, sha256 ${tarball.sha256}, kept ${days} day(s)`,
  );
  return {
    artifact_id: id,
    size: String(tarball.size),
    sha256: tarball.sha256,
    files: String(tarball.files),
  };
}
