import { createHash } from "node:crypto";
import { existsSync } from "node:fs";
import { chmod, mkdir, mkdtemp, rename, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { ACTION_FILES } from "../actions/files.generated.js";
import { CHECKOUT_ACTION } from "./checkout-action.js";

/** `uses: gantry/<name>`: the actions that come with Gantry. */
export const BUILTIN_USES = /^gantry\/([a-z0-9-]+)$/;

/**
 * Built-in actions that check out the workflow's repository first (as gantry/checkout does, with its
 * script), so that their files (playbooks, Terraform configurations) are there: steps share no folder.
 */
export const CHECKS_OUT = new Set(["checkout", "ansible-playbook", "terraform"]);

const BUILTIN: Record<string, Record<string, { text: string; mode: number }>> = {
  checkout: CHECKOUT_ACTION,
  // packages/engine/src/actions/<name>/, embedded by scripts/embed-actions.mjs.
  ...Object.fromEntries(
    Object.entries(ACTION_FILES).map(([name, files]) => [
      name,
      { ...files, "checkout.sh": CHECKOUT_ACTION["checkout.sh"] as { text: string; mode: number } },
    ]),
  ),
};

export function builtinActionNames(): string[] {
  return Object.keys(BUILTIN);
}

/**
 * The folder of a built-in action, written once per content under the temporary folder. The files live
 * in the code rather than beside it so that the one-file bundle of the CLI carries them; the loader then
 * bundles the folder into the workflow's definition like any other action, so workers need nothing.
 */
export async function builtinActionDir(name: string, root = os.tmpdir()): Promise<string | undefined> {
  const files = BUILTIN[name];
  if (!files) return undefined;
  const hash = createHash("sha256").update(JSON.stringify(files)).digest("hex").slice(0, 16);
  const dir = path.join(root, "gantry-builtin-actions", `${name}-${hash}`);
  if (existsSync(path.join(dir, "action.yaml"))) return dir;
  await mkdir(path.dirname(dir), { recursive: true });
  // Written aside and renamed: two processes loading at once never see a half-written folder.
  const staging = await mkdtemp(`${dir}.tmp-`);
  for (const [file, { text, mode }] of Object.entries(files)) {
    await mkdir(path.dirname(path.join(staging, file)), { recursive: true });
    await writeFile(path.join(staging, file), text);
    await chmod(path.join(staging, file), mode);
  }
  try {
    await rename(staging, dir);
  } catch (error) {
    // Another process got there first (ENOTEMPTY/EEXIST): its copy is the same content.
    await rm(staging, { recursive: true, force: true });
    if (!existsSync(path.join(dir, "action.yaml"))) throw error;
  }
  return dir;
}
