import { mkdir, readFile, rename, rm, writeFile } from "node:fs/promises";
import path from "node:path";
import type { LogArchiveLike } from "./types.js";

/** The embedded default: one file per step attempt under the data folder. */
export class LocalLogArchive implements LogArchiveLike {
  constructor(private readonly dir: string) {}

  async put(key: string, body: string): Promise<void> {
    const file = this.file(key);
    await mkdir(path.dirname(file), { recursive: true });
    // Write beside and rename, so a reader never sees half an object.
    const temp = `${file}.tmp-${process.pid}`;
    await writeFile(temp, body);
    await rename(temp, file);
  }

  async get(key: string): Promise<string | undefined> {
    try {
      return await readFile(this.file(key), "utf8");
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === "ENOENT") return undefined;
      throw error;
    }
  }

  async delete(keys: string[]): Promise<void> {
    await Promise.all(keys.map((key) => rm(this.file(key), { force: true })));
  }

  private file(key: string): string {
    const file = path.resolve(this.dir, key);
    if (!file.startsWith(path.resolve(this.dir) + path.sep))
      throw new Error(`log key '${key}' leaves the archive folder`);
    return file;
  }
}
