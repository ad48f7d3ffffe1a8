import ReactMarkdown from "react-markdown";
import remarkGfm from "remark-gfm";

/**
 * Markdown a step wrote, rendered as React elements: raw HTML in it is dropped (`skipHtml`), never
 * parsed, so a summary can carry no script, style or event handler; link and image URLs pass
 * react-markdown's default filter (http, https, mailto, relative: no `javascript:`). Tables, task lists
 * and strikethrough as GitHub renders them (GFM).
 */
export function Markdown({ text }: { text: string }) {
  return (
    <div className="markdown-summary space-y-2 text-sm [&_a]:underline [&_code]:font-mono [&_code]:text-xs [&_h1]:text-lg [&_h1]:font-semibold [&_h2]:text-base [&_h2]:font-semibold [&_h3]:font-semibold [&_li]:ml-5 [&_ol]:list-decimal [&_pre]:overflow-x-auto [&_pre]:rounded [&_pre]:bg-muted [&_pre]:p-2 [&_table]:text-xs [&_td]:border [&_td]:px-2 [&_th]:border [&_th]:px-2 [&_ul]:list-disc">
      <ReactMarkdown remarkPlugins={[remarkGfm]} skipHtml>
        {text}
      </ReactMarkdown>
    </div>
  );
}
