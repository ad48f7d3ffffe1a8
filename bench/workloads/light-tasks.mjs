// Windmill's "40 light tasks": orchestration cost dominates, since each task is ~1 ms of python work.
import { sequentialPythonWorkload } from "../lib/sequential-python.mjs";

export default sequentialPythonWorkload({
  id: "light",
  name: "40 light tasks",
  tasks: 40,
  k: 10,
  target: 1.3,
});
