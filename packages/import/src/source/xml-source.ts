import { SaxesParser } from "saxes";

/** An XML element with the position of its start tag and the comments written just before it. */
export interface XmlElement {
  name: string;
  attributes: Record<string, string>;
  children: XmlElement[];
  /** The element's own text and CDATA, joined (its children's are theirs). */
  text: string;
  /** Comments between the previous sibling (or the parent's start) and this element. */
  comments: string[];
  /** Comments after the last child. */
  trailingComments: string[];
  line: number;
  col: number;
}

export interface XmlProblem {
  line: number;
  col: number;
  message: string;
}

/**
 * Parses an XML document into elements. saxes does not fetch external entities or expand entities a
 * DOCTYPE declares, so a hostile document cannot read files or blow up in memory.
 */
export function parseXml(text: string): { root?: XmlElement; problems: XmlProblem[] } {
  const parser = new SaxesParser({ position: true });
  const stack: XmlElement[] = [];
  let root: XmlElement | undefined;
  let pending: string[] = [];
  const problems: XmlProblem[] = [];
  parser.on("opentagstart", (tag) => {
    const element: XmlElement = {
      name: tag.name,
      attributes: {},
      children: [],
      text: "",
      comments: pending,
      trailingComments: [],
      line: parser.line,
      col: Math.max(1, parser.column - tag.name.length),
    };
    pending = [];
    const parent = stack[stack.length - 1];
    if (parent) parent.children.push(element);
    else root ??= element;
    stack.push(element);
  });
  parser.on("attribute", (attribute) => {
    const element = stack[stack.length - 1];
    if (element) element.attributes[attribute.name] = attribute.value;
  });
  parser.on("closetag", () => {
    const element = stack.pop();
    if (element) {
      element.trailingComments = pending;
      pending = [];
    }
  });
  const addText = (value: string) => {
    const element = stack[stack.length - 1];
    if (element) element.text += value;
  };
  parser.on("text", addText);
  parser.on("cdata", addText);
  parser.on("comment", (comment) => {
    pending.push(comment.trim());
  });
  parser.on("error", (error) => {
    problems.push({
      line: parser.line,
      col: parser.column + 1,
      message: `XML: ${error.message.replace(/^\d+:\d+: /, "")}`,
    });
  });
  try {
    parser.write(text).close();
  } catch (error) {
    if (problems.length === 0)
      problems.push({
        line: parser.line,
        col: parser.column + 1,
        message: `XML: ${(error as Error).message}`,
      });
  }
  return problems.length > 0 ? { problems } : { ...(root ? { root } : {}), problems };
}

/** The first child named `name`. */
export function child(element: XmlElement | undefined, name: string): XmlElement | undefined {
  return element?.children.find((c) => c.name === name);
}

export function children(element: XmlElement | undefined, name: string): XmlElement[] {
  return element?.children.filter((c) => c.name === name) ?? [];
}

/** The trimmed text of the child named `name`. */
export function childText(element: XmlElement | undefined, name: string): string | undefined {
  const found = child(element, name);
  return found ? found.text.trim() : undefined;
}
