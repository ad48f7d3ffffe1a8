// Windmill's "10 long tasks": the tasks' own CPU time dominates, so the ratio should approach 1.
import { sequentialPythonWorkload } from "../lib/sequential-python.mjs";

export default sequentialPythonWorkload({ id: "long", name: "10 long tasks", tasks: 10, k: 33 });
