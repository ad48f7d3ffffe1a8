import { existsSync, statSync } from "node:fs";
import {
  formatProblem,
  libraryWorkflowUses,
  type Problem,
  type SourceFile,
  subWorkflowName,
  type UsesReference,
  type WorkflowSpec,
} from "@gantry/core";
import { callInputProblems } from "../subworkflow/check.js";
import type { LoadedCall, LoadedWorkflow, LoadOptions } from "./loaded-types.js";
import { isInside } from "./repository-root.js";

/** Library workflows may call library workflows; this deep, the chain is taken for a circle. */
const MAX_LIBRARY_NESTING = 10;

type Load = (file: string, options: LoadOptions) => Promise<{ loaded?: LoadedWorkflow; problems: Problem[] }>;

/**
 * Resolves `uses: <library>/<path>.yaml@<ref>` to a commit of the library (the pin), loads that
 * workflow file with the library's root as its repository (its `./` actions are the library's), and
 * checks the step's `with:` against its inputs. Its own problems are reported at the calling step,
 * each naming the library file. A library workflow cannot call `workflow:<name>`: it has no source of
 * its own to find that name in.
 */
export async function loadLibraryCall(
  ref: UsesReference,
  source: SourceFile,
  workflow: WorkflowSpec,
  options: LoadOptions,
  load: Load,
): Promise<{ call: LoadedCall } | { problems: Problem[] }> {
  const at = (message: string) => ({
    problems: [{ ...ref.problemAt, message: `steps.${ref.step}.uses: ${message}` }],
  });
  const uses = libraryWorkflowUses(ref.uses);
  if (!uses) return at(`'${ref.uses}' is not <library>/<path>.yaml@<ref>`);
  if (!options.libraries)
    return at(`library '${uses.library}' is not configured (libraries are declared in gantry.yaml)`);
  const depth = (options.libraryDepth ?? 0) + 1;
  if (depth > MAX_LIBRARY_NESTING)
    return at(`library workflows call each other more than ${MAX_LIBRARY_NESTING} deep (a circle?)`);
  const found = await options.libraries(uses);
  if ("error" in found) return at(found.error);
  if (!isInside(found.root, found.dir)) return at(`'${ref.uses}' leaves the library`);
  if (!existsSync(found.dir) || !statSync(found.dir).isFile())
    return at(
      `no workflow file '${uses.path}' in library '${uses.library}' at ${uses.ref} (${found.pin.commit.slice(0, 12)})`,
    );
  const { loaded, problems } = await load(found.dir, { ...options, root: found.root, libraryDepth: depth });
  if (!loaded)
    return at(
      `library workflow '${ref.uses}' has problems: ${problems.map((p) => formatProblem({ ...p, file: `${uses.library}:${uses.path}` })).join("; ")}`,
    );
  const nested = Object.entries(loaded.workflow.steps ?? {}).find(
    ([, s]) => subWorkflowName(s.uses) !== undefined,
  );
  if (nested)
    return at(
      `library workflow '${ref.uses}' calls '${nested[1].uses}' (step ${nested[0]}); a library workflow can call only library workflows (<library>/<path>.yaml@<ref>)`,
    );
  const name = loaded.workflow.name ?? uses.path.replace(/^.*\//, "").replace(/\.ya?ml$/, "");
  const step = workflow.steps[ref.step];
  const inputs = callInputProblems(ref.step, name, step?.with, loaded.workflow.inputs);
  if (inputs.length > 0)
    return {
      problems: inputs.map((p) => ({
        file: ref.problemAt.file,
        ...source.locate(p.at, { key: p.key }),
        message: p.message,
      })),
    };
  return { call: { name, pin: found.pin, loaded } };
}
