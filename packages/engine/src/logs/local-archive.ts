import { copyFile, mkdir, open, readFile, rename, rm, writeFile } from "node:fs/promises";
import path from "node:path";
import { Readable } from "node:stream";
import type { ByteRange, LogArchiveLike } from "./types.js";

/** The embedded default: one file per step attempt under the data folder. */
export class LocalLogArchive implements LogArchiveLike {
  constructor(private readonly dir: string) {}

  async put(key: string, body: string): Promise<void> {
    await this.replace(key, (temp) => writeFile(temp, body));
  }

  async putFile(key: string, file: string, _bytes: number): Promise<void> {
    // copyFile lets the kernel copy (copy_file_range): a 200 MB log never passes through the heap.
    await this.replace(key, (temp) => copyFile(file, temp));
  }

  async get(key: string): Promise<string | undefined> {
    try {
      return await readFile(this.file(key), "utf8");
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === "ENOENT") return undefined;
      throw error;
    }
  }

  async open(key: string, range?: ByteRange): Promise<Readable | undefined> {
    let handle: Awaited<ReturnType<typeof open>>;
    try {
      handle = await open(this.file(key), "r");
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === "ENOENT") return undefined;
      throw error;
    }
    // An empty range reads nothing (createReadStream's `end` is inclusive, so it cannot say "none").
    if (range?.end !== undefined && range.end <= range.start) {
      await handle.close();
      return Readable.from([]);
    }
    return handle.createReadStream({
      start: range?.start ?? 0,
      ...(range?.end !== undefined ? { end: range.end - 1 } : {}),
      highWaterMark: 256 * 1024,
    });
  }

  async delete(keys: string[]): Promise<void> {
    await Promise.all(keys.map((key) => rm(this.file(key), { force: true })));
  }

  /** Writes beside and renames, so a reader never sees half an object. */
  private async replace(key: string, write: (temp: string) => Promise<void>): Promise<void> {
    const file = this.file(key);
    await mkdir(path.dirname(file), { recursive: true });
    const temp = `${file}.tmp-${process.pid}`;
    await write(temp);
    await rename(temp, file);
  }

  private file(key: string): string {
    const file = path.resolve(this.dir, key);
    if (!file.startsWith(path.resolve(this.dir) + path.sep))
      throw new Error(`log key '${key}' leaves the archive folder`);
    return file;
  }
}
