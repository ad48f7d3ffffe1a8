type Obj = Record<string, unknown>;

/**
 * The runner of a job's steps on the nodes its filter selects, once Gantry has SSH nodes
 * (`runner: {type: ssh, nodes: "tags:web and tags:eu", max_parallel}`). Unset until then: the converter
 * puts a first step that fails saying so, so that nothing meant for those nodes runs on a worker.
 */
export const nodeRunner: ((selector: string, dispatch: Obj) => Obj) | undefined = undefined;

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
