import { chmod, mkdir, rename, rm, stat, writeFile } from "node:fs/promises";
import path from "node:path";
import type { BundleFile } from "../service/workflow-definition.js";

/**
 * Action code reaches workers without a shared filesystem: as content-addressed bundles in the store,
 * unpacked once per worker into a cache folder named by hash (so an unpacked bundle never changes).
 */
export class BundleCache {
  private readonly pending = new Map<string, Promise<string>>();

  constructor(
    /** A bundle's content by its hash: from the store, or from the server's API for an agent. */
    private readonly load: (hash: string) => Promise<string | undefined>,
    private readonly dir: string,
  ) {}

  async folder(hash: string): Promise<string> {
    let p = this.pending.get(hash);
    if (!p) {
      p = this.unpack(hash);
      this.pending.set(hash, p);
      p.catch(() => this.pending.delete(hash));
    }
    return p;
  }

  private async unpack(hash: string): Promise<string> {
    const target = path.join(this.dir, hash);
    if (await exists(target)) return target;
    const content = await this.load(hash);
    if (!content) throw new Error(`action bundle ${hash} could not be found`);
    // Unpack beside the target and rename: a crash never leaves a half-written bundle under its hash.
    const temp = `${target}.tmp-${process.pid}-${Date.now()}`;
    for (const file of JSON.parse(content) as BundleFile[]) {
      const full = path.join(temp, file.path);
      await mkdir(path.dirname(full), { recursive: true });
      await writeFile(full, Buffer.from(file.base64, "base64"));
      await chmod(full, file.mode);
    }
    await mkdir(temp, { recursive: true });
    try {
      await rename(temp, target);
    } catch (error) {
      await rm(temp, { recursive: true, force: true });
      if (!(await exists(target))) throw error;
    }
    return target;
  }
}

async function exists(p: string): Promise<boolean> {
  try {
    await stat(p);
    return true;
  } catch {
    return false;
  }
}
