import { Document, isMap, isPair, isScalar, isSeq, type Node } from "yaml";
import { type SourceComment, type SourcePath, startsWith } from "../source/yaml-source.js";

type Placement = SourceComment["placement"];

interface CommentRoute {
  from: SourcePath;
  to: SourcePath;
  /** The comments under `from` are already shown elsewhere (quoted with the source text): drop them. */
  consumed?: boolean;
}

/**
 * A file being written: its value, built in the order keys should appear, and where comments go. Source
 * comments follow routes (a source path to the output path that holds what it became); the converter adds
 * its own notes. Rendering puts every comment of the source somewhere: one under a path no route covers
 * lands at the end of the file rather than being lost.
 */
export class OutputDocument {
  readonly value: Record<string, unknown> = {};
  /** Lines of the comment at the top (without `#`). */
  readonly header: string[] = [];
  private readonly routes: CommentRoute[] = [];
  private readonly notes: Array<{ to: SourcePath; placement: Placement; text: string }> = [];

  /** Comments at or under source path `from` go to output path `to`. */
  route(from: SourcePath, to: SourcePath): void {
    this.routes.push({ from, to });
  }

  /** Comments at or under `from` are already quoted elsewhere. */
  consume(from: SourcePath): void {
    this.routes.push({ from, to: [], consumed: true });
  }

  /** A comment of the converter's own at output path `to`. */
  note(to: SourcePath, text: string, placement: Placement = "before"): void {
    this.notes.push({ to, placement, text: text.replace(/^(?!\s)/gm, " ") });
  }

  /** The file's text, with the source's comments (`comments`, `sourceHeader`) placed along the routes. */
  render(comments: SourceComment[] = [], sourceHeader?: string): string {
    const doc = new Document(this.value);
    const top = [...this.header.map((line) => (line === "" ? "" : ` ${line}`))];
    if (sourceHeader) top.push("", ...sourceHeader.split("\n"));
    if (top.length > 0) doc.commentBefore = top.join("\n");
    const unplaced: string[] = [];
    for (const comment of comments) {
      const route = this.routeFor(comment.path);
      if (route?.consumed) continue;
      if (!route) {
        unplaced.push(comment.text);
        continue;
      }
      // The same relative place under the route's target when the output has it, else the nearest ancestor.
      attach(doc, [...route.to, ...comment.path.slice(route.from.length)], comment.placement, comment.text);
    }
    for (const note of this.notes) attach(doc, note.to, note.placement, note.text);
    if (unplaced.length > 0) {
      const block = [" Comments of the source that no converted part holds:", ...unplaced].join("\n");
      doc.comment = doc.comment ? `${doc.comment}\n${block}` : block;
    }
    return doc.toString({ lineWidth: 0, blockQuote: "literal", indentSeq: true });
  }

  private routeFor(path: SourcePath): CommentRoute | undefined {
    let best: CommentRoute | undefined;
    for (const route of this.routes) {
      if (startsWith(path, route.from) && (!best || route.from.length >= best.from.length)) best = route;
    }
    return best;
  }
}

function attach(doc: Document, path: SourcePath, placement: Placement, text: string): void {
  if (path.length === 0) {
    if (placement === "before") doc.commentBefore = join(doc.commentBefore, text);
    else doc.comment = join(doc.comment, text);
    return;
  }
  const parent = path.length === 1 ? doc.contents : doc.getIn(path.slice(0, -1), true);
  const last = path[path.length - 1];
  let keyNode: Node | undefined;
  let valueNode: Node | undefined;
  if (isMap(parent)) {
    const pair = parent.items.find(
      (p) => isPair(p) && isScalar(p.key) && String(p.key.value) === String(last),
    );
    if (pair) {
      keyNode = pair.key as Node;
      valueNode = (pair.value ?? undefined) as Node | undefined;
    }
  } else if (isSeq(parent) && typeof last === "number") {
    valueNode = parent.items[last] as Node | undefined;
  }
  if (!keyNode && !valueNode) {
    // The path does not exist in the output (the converter changed or dropped that part): keep it nearby,
    // a trailing comment still trailing.
    attach(doc, path.slice(0, -1), placement === "after" ? "after" : "before", text);
    return;
  }
  if (placement === "before") {
    const target = keyNode ?? valueNode!;
    target.commentBefore = join(target.commentBefore, text);
  } else if (placement === "after" && valueNode && isScalar(valueNode)) {
    valueNode.comment = join(valueNode.comment, text);
  } else if (placement === "end" && valueNode && (isMap(valueNode) || isSeq(valueNode))) {
    valueNode.comment = join(valueNode.comment, text);
  } else if (keyNode) {
    keyNode.comment = join(keyNode.comment, text);
  } else {
    valueNode!.commentBefore = join(valueNode!.commentBefore, text);
  }
}

function join(existing: string | null | undefined, text: string): string {
  return existing ? `${existing}\n${text}` : text;
}

/** Source text as comment lines (for `note`), e.g. a job that could not be converted. */
export function quoted(text: string): string {
  return text
    .split("\n")
    .map((line) => `   ${line}`)
    .join("\n");
}
