import path from "node:path";
import { LocalLogArchive } from "../logs/local-archive.js";
import { sqliteDatabase } from "../testing/databases.js";
import { tempDir } from "../testing/temp-dir.js";
import { describeFiles } from "./files-suite.js";

describeFiles("SQLite and a local folder", sqliteDatabase, async () => {
  const dir = tempDir("gantry-objects-");
  return {
    store: new LocalLogArchive(path.join(dir.dir, "objects")),
    stop: async () => dir.cleanup(),
  };
});
