type Obj = Record<string, unknown>;

/**
 * The SSH runner for a job's node steps: the filter as a node selector, Rundeck's dispatch as the runner's
 * own settings (`threadcount` -> `max_parallel`, `keepgoing` -> `keep_going`; Rundeck's defaults, one node
 * at a time and stop at the first failed node, are the runner's too).
 */
export function nodeRunner(selector: string, dispatch: Obj): Obj {
  const runner: Obj = { type: "ssh", nodes: selector };
  const threads = Number(dispatch.threadcount);
  if (Number.isInteger(threads) && threads > 1) runner.max_parallel = threads;
  if (dispatch.keepgoing === true || dispatch.keepgoing === "true") runner.keep_going = true;
  return runner;
}

/**
 * RD_NODE_* on a node, from what the SSH runner tells a step about the node it runs on. Rundeck's
 * name, hostname, username and tags have variables of their own; any other attribute is
 * GANTRY_NODE_ATTR_<NAME>, named as RD_NODE_<NAME> is.
 */
export function nodeVariableSource(variable: string): string {
  const name = variable.slice("RD_NODE_".length);
  const own: Record<string, string> = {
    NAME: "GANTRY_NODE_NAME",
    HOSTNAME: "GANTRY_NODE_HOST",
    USERNAME: "GANTRY_NODE_USER",
    TAGS: "GANTRY_NODE_TAGS",
  };
  return own[name] ?? `GANTRY_NODE_ATTR_${name}`;
}

/**
 * A Rundeck node filter as a Gantry node selector: `tags: web+eu` (both tags) -> `tags:web and tags:eu`,
 * `tags: web,db` (either) -> `(tags:web or tags:db)`, `name: a` -> `name:a`, `!tags: x` -> `not tags:x`,
 * plain words are node names. Several terms must all match.
 */
export function nodeSelector(filter: string, exclude?: string): string {
  const terms = parseFilter(filter);
  const excluded = exclude ? parseFilter(exclude).map((t) => `not ${t}`) : [];
  return [...terms, ...excluded].join(" and ");
}

function parseFilter(filter: string): string[] {
  const terms: string[] = [];
  // key: value pairs; a value runs until the next `key:` (values with spaces are quoted in Rundeck).
  const re = /(!?)([A-Za-z0-9_.-]+):\s*("[^"]*"|'[^']*'|\S+)|(\S+)/g;
  for (const m of filter.matchAll(re)) {
    if (m[4] !== undefined) {
      terms.push(alternatives("name", m[4]));
      continue;
    }
    const negate = m[1] === "!";
    const key = m[2] as string;
    const value = (m[3] as string).replace(/^["']|["']$/g, "");
    const term =
      key === "tags" && value.includes("+")
        ? value
            .split("+")
            .map((t) => `tags:${t}`)
            .join(" and ")
        : alternatives(key, value);
    terms.push(negate ? `not (${term})` : term);
  }
  return terms;
}

function alternatives(key: string, value: string): string {
  const values = value.split(",").filter(Boolean);
  const each = values.map((v) => `${key}:${v}`);
  return each.length > 1 ? `(${each.join(" or ")})` : (each[0] ?? `${key}:`);
}
