import { child, children, childText, parseXml, type XmlElement } from "../source/xml-source.js";
import {
  isRecord,
  type Position,
  parseYamlSources,
  type SourceComment,
  type SourcePath,
} from "../source/yaml-source.js";

type Obj = Record<string, unknown>;

/**
 * A Rundeck job in the shape of Rundeck's YAML job definition, whichever format it was exported in:
 * the XML export is read into the same keys, so one converter serves both. Positions and comments are
 * kept per key path of that shape.
 */
export interface RundeckJobSource {
  job: Obj;
  locate(path: SourcePath): Position;
  comments: SourceComment[];
  /** The comment block at the top of the file, for the first job. */
  header?: string;
}

export interface ReadResult {
  jobs: RundeckJobSource[];
  problems: Array<{ line: number; col: number; message: string }>;
}

export function readRundeck(text: string, file: string): ReadResult {
  return /^\s*(<\?xml|<!--|<joblist|<job\b)/.test(text) ? readXml(text) : readYaml(text, file);
}

function readYaml(text: string, file: string): ReadResult {
  const parsed = parseYamlSources(file, text);
  if (parsed.problems.length > 0) return { jobs: [], problems: parsed.problems };
  const jobs: RundeckJobSource[] = [];
  for (const source of parsed.sources) {
    const list = Array.isArray(source.value) ? source.value : [source.value];
    list.forEach((job, index) => {
      if (!isRecord(job)) return;
      const base: SourcePath = Array.isArray(source.value) ? [index] : [];
      // Older exports write options as a map by name; the list form is today's.
      const optionsMap = isRecord(job.options) ? (job.options as Record<string, unknown>) : undefined;
      const normalized: Obj = optionsMap
        ? {
            ...job,
            options: Object.entries(optionsMap).map(([name, o]) => ({ name, ...(isRecord(o) ? o : {}) })),
          }
        : job;
      const names = optionsMap ? Object.keys(optionsMap) : [];
      const original = (path: SourcePath): SourcePath =>
        optionsMap && path[0] === "options" && typeof path[1] === "number"
          ? ["options", names[path[1]] as string, ...path.slice(2)]
          : path;
      jobs.push({
        job: normalized,
        locate: (path) => source.locate([...base, ...original(path)], { key: true }),
        comments: source.comments
          .filter((c) => base.every((segment, i) => c.path[i] === segment))
          .map((c) => ({ ...c, path: c.path.slice(base.length) })),
        ...(index === 0 && source.header ? { header: source.header } : {}),
      });
    });
  }
  if (jobs.length === 0)
    return {
      jobs,
      problems: [
        {
          line: 1,
          col: 1,
          message: "no Rundeck job: expected a list of jobs (Rundeck's YAML job definition)",
        },
      ],
    };
  return { jobs, problems: [] };
}

/** Reads Rundeck's XML export (`<joblist><job>…`) into the YAML definition's keys. */
function readXml(text: string): ReadResult {
  const parsed = parseXml(text);
  if (!parsed.root)
    return {
      jobs: [],
      problems: parsed.problems.length > 0 ? parsed.problems : [{ line: 1, col: 1, message: "empty XML" }],
    };
  const root = parsed.root;
  const elements = root.name === "joblist" ? children(root, "job") : root.name === "job" ? [root] : [];
  if (elements.length === 0) {
    return {
      jobs: [],
      problems: [
        {
          line: root.line,
          col: root.col,
          message: `no Rundeck job: expected <joblist><job>, found <${root.name}>`,
        },
      ],
    };
  }
  return {
    jobs: elements.map((element, index) => {
      const reader = new XmlJobReader();
      const job = reader.job(element);
      return {
        job,
        locate: (path) => reader.locate(path, element),
        comments: reader.comments,
        ...(index === 0 && root.comments.length > 0
          ? { header: root.comments.map((c) => ` ${c}`).join("\n") }
          : {}),
      };
    }),
    problems: [],
  };
}

/** One job element read into the YAML keys, remembering where each key came from and its comments. */
class XmlJobReader {
  readonly comments: SourceComment[] = [];
  private readonly positions = new Map<string, Position>();

  locate(path: SourcePath, job: XmlElement): Position {
    for (let n = path.length; n > 0; n--) {
      const found = this.positions.get(path.slice(0, n).join("\u0000"));
      if (found) return found;
    }
    return { line: job.line, col: job.col };
  }

  private mark(path: SourcePath, element: XmlElement | undefined): void {
    if (!element) return;
    this.positions.set(path.join("\u0000"), { line: element.line, col: element.col });
    for (const text of element.comments) this.comments.push({ path, placement: "before", text: ` ${text}` });
    for (const text of element.trailingComments)
      this.comments.push({ path, placement: "end", text: ` ${text}` });
  }

  job(element: XmlElement): Obj {
    const job: Obj = {};
    this.mark([], element);
    const texts: Record<string, string> = {
      name: "name",
      group: "group",
      description: "description",
      uuid: "uuid",
      id: "id",
      loglevel: "loglevel",
      timeZone: "timeZone",
      timeout: "timeout",
      loglimit: "loglimit",
      loglimitAction: "loglimitAction",
      loglimitStatus: "loglimitStatus",
      scheduleEnabled: "scheduleEnabled",
      executionEnabled: "executionEnabled",
      multipleExecutions: "multipleExecutions",
      maxMultipleExecutions: "maxMultipleExecutions",
      nodesSelectedByDefault: "nodesSelectedByDefault",
      nodeFilterEditable: "nodeFilterEditable",
      defaultTab: "defaultTab",
      notifyAvgDurationThreshold: "notifyAvgDurationThreshold",
    };
    for (const [tag, key] of Object.entries(texts)) {
      const found = child(element, tag);
      if (!found) continue;
      this.mark([key], found);
      job[key] = bool(found.text.trim());
    }
    const retry = child(element, "retry");
    if (retry) {
      this.mark(["retry"], retry);
      job.retry = retry.attributes.delay
        ? { retry: retry.text.trim(), delay: retry.attributes.delay }
        : retry.text.trim();
    }
    const schedule = child(element, "schedule");
    if (schedule) job.schedule = this.schedule(schedule);
    const context = child(element, "context");
    const options = child(context, "options");
    if (options) {
      this.mark(["options"], options);
      job.options = children(options, "option").map((o, i) => this.option(o, i));
    }
    const sequence = child(element, "sequence");
    if (sequence) {
      this.mark(["sequence"], sequence);
      job.sequence = {
        ...(sequence.attributes.keepgoing ? { keepgoing: bool(sequence.attributes.keepgoing) } : {}),
        ...(sequence.attributes.strategy ? { strategy: sequence.attributes.strategy } : {}),
        commands: children(sequence, "command").map((c, i) => this.command(c, ["sequence", "commands", i])),
      };
      const strategyPlugin = child(sequence, "strategy");
      if (strategyPlugin?.attributes.type) (job.sequence as Obj).strategy = strategyPlugin.attributes.type;
    }
    const nodefilters = child(element, "nodefilters");
    if (nodefilters) {
      this.mark(["nodefilters"], nodefilters);
      const filters: Obj = {};
      const filter = childText(nodefilters, "filter");
      if (filter !== undefined) filters.filter = filter;
      const exclude = childText(nodefilters, "filterExclude");
      if (exclude) filters.excludeFilter = exclude;
      job.nodefilters = filters;
    }
    const dispatch = child(element, "dispatch");
    if (dispatch) {
      this.mark(["nodefilters", "dispatch"], dispatch);
      const values: Obj = {};
      for (const c of dispatch.children) values[c.name] = bool(c.text.trim());
      job.nodefilters = { ...((job.nodefilters as Obj | undefined) ?? {}), dispatch: values };
    }
    const notification = child(element, "notification");
    if (notification) {
      this.mark(["notification"], notification);
      const out: Obj = {};
      for (const trigger of notification.children) {
        const entry: Obj = {};
        this.mark(["notification", trigger.name], trigger);
        for (const c of trigger.children) {
          if (c.name === "email") entry.email = { ...c.attributes };
          else if (c.name === "webhook") entry.urls = c.attributes.urls ?? "";
          else if (c.name === "plugin") {
            const list = (entry.plugin as Obj[] | undefined) ?? [];
            list.push({ type: c.attributes.type ?? "", configuration: configuration(c) });
            entry.plugin = list;
          }
        }
        out[trigger.name] = entry;
      }
      job.notification = out;
    }
    for (const tag of ["orchestrator", "plugins"]) {
      const found = child(element, tag);
      if (found && (found.children.length > 0 || Object.keys(found.attributes).length > 0)) {
        this.mark([tag], found);
        job[tag] = { type: found.attributes.type ?? child(found, "type")?.text.trim() ?? tag };
      }
    }
    return job;
  }

  private schedule(element: XmlElement): Obj {
    this.mark(["schedule"], element);
    if (element.attributes.crontab) return { crontab: element.attributes.crontab };
    const out: Obj = {};
    const time = child(element, "time");
    if (time) out.time = { ...time.attributes };
    const weekday = child(element, "weekday");
    if (weekday) out.weekday = { day: weekday.attributes.day ?? "*" };
    const dayofmonth = child(element, "dayofmonth");
    if (dayofmonth) out.dayofmonth = { day: dayofmonth.attributes.day ?? "*" };
    const month = child(element, "month");
    if (month) {
      out.month = month.attributes.month ?? "*";
      if (month.attributes.day && !dayofmonth) out.dayofmonth = { day: month.attributes.day };
    }
    const year = child(element, "year");
    if (year) out.year = year.attributes.year ?? "*";
    return out;
  }

  private option(element: XmlElement, index: number): Obj {
    const path = ["options", index];
    this.mark(path, element);
    const a = element.attributes;
    const option: Obj = { name: a.name ?? `option${index + 1}` };
    const description = childText(element, "description");
    if (description) option.description = description;
    for (const key of [
      "value",
      "regex",
      "storagePath",
      "valuesUrl",
      "delimiter",
      "label",
      "dateFormat",
      "type",
    ]) {
      if (a[key] !== undefined) option[key] = a[key];
    }
    const regex = childText(element, "regex");
    if (regex) option.regex = regex;
    if (a.values !== undefined) {
      const delimiter = a.valuesListDelimiter ?? ",";
      option.values = a.values.split(delimiter).filter((v) => v !== "");
    }
    for (const [attribute, key] of [
      ["required", "required"],
      ["enforcedvalues", "enforced"],
      ["secure", "secure"],
      ["valueExposed", "valueExposed"],
      ["multivalued", "multivalued"],
      ["isDate", "isDate"],
      ["hidden", "hidden"],
      ["multivalueAllSelected", "multivalueAllSelected"],
    ] as const) {
      if (a[attribute] !== undefined) option[key] = a[attribute] === "true";
    }
    return option;
  }

  private command(element: XmlElement, path: SourcePath): Obj {
    this.mark(path, element);
    const out: Obj = {};
    const description = childText(element, "description");
    if (description) out.description = description;
    for (const c of element.children) {
      switch (c.name) {
        case "exec":
          out.exec = c.text.trim();
          this.mark([...path, "exec"], c);
          break;
        case "script":
          out.script = c.text;
          this.mark([...path, "script"], c);
          break;
        case "scriptargs":
          if (c.text.trim() !== "") out.args = c.text.trim();
          break;
        case "scriptfile":
          out.scriptfile = c.text.trim();
          this.mark([...path, "scriptfile"], c);
          break;
        case "scripturl":
          out.scripturl = c.text.trim();
          break;
        case "scriptinterpreter":
          out.scriptInterpreter = c.text.trim();
          if (c.attributes.argsquoted === "true") out.interpreterArgsQuoted = true;
          break;
        case "fileExtension":
          out.fileExtension = c.text.trim();
          break;
        case "jobref": {
          const ref: Obj = { ...c.attributes };
          const arg = child(c, "arg");
          if (arg?.attributes.line) ref.args = arg.attributes.line;
          const uuid = childText(c, "uuid");
          if (uuid) ref.uuid = uuid;
          if (ref.nodeStep !== undefined) ref.nodeStep = ref.nodeStep === "true";
          out.jobref = ref;
          this.mark([...path, "jobref"], c);
          break;
        }
        case "step-plugin":
        case "node-step-plugin":
          out.type = c.attributes.type ?? "";
          out.nodeStep = c.name === "node-step-plugin";
          out.configuration = configuration(c);
          this.mark([...path, "type"], c);
          break;
        case "errorhandler": {
          const handler = this.command(c, [...path, "errorhandler"]);
          if (c.attributes.keepgoingOnSuccess !== undefined)
            handler.keepgoingOnSuccess = c.attributes.keepgoingOnSuccess === "true";
          out.errorhandler = handler;
          break;
        }
      }
    }
    return out;
  }
}

function configuration(element: XmlElement): Obj {
  const out: Obj = {};
  for (const entry of children(child(element, "configuration"), "entry")) {
    if (entry.attributes.key !== undefined)
      out[entry.attributes.key] = entry.attributes.value ?? entry.text.trim();
  }
  return out;
}

function bool(text: string): string | boolean {
  return text === "true" ? true : text === "false" ? false : text;
}
