import Anser from "anser";
import type * as React from "react";

// The 16 standard colours as a dark terminal shows them (VS Code's palette), keyed by the RGB Anser
// gives them: xterm's pure blue (0, 0, 187) is unreadable on the log's near-black background. 256-colour
// and true-colour values pass through as they are.
const PALETTE: Record<string, string> = {
  "0, 0, 0": "#666666",
  "187, 0, 0": "#f14c4c",
  "0, 187, 0": "#23d18b",
  "187, 187, 0": "#f5f543",
  "0, 0, 187": "#3b8eea",
  "187, 0, 187": "#d670d6",
  "0, 187, 187": "#29b8db",
  "255,255,255": "#e5e5e5",
  "85, 85, 85": "#8a8a8a",
  "255, 85, 85": "#ff6b6b",
  "0, 255, 0": "#5af78e",
  "255, 255, 85": "#f4f99d",
  "85, 85, 255": "#6fb3ff",
  "255, 85, 255": "#ff92d0",
  "85, 255, 255": "#9aedfe",
  "255, 255, 255": "#ffffff",
};

const colour = (rgb: string | null) => (rgb ? (PALETTE[rgb] ?? `rgb(${rgb})`) : undefined);

/** A line's ANSI colours and styles as spans (Anser parses; React escapes, so no HTML injection). */
export function AnsiText({ text }: { text: string }) {
  if (!text.includes("\u001b[")) return <>{text}</>;
  const parts = Anser.ansiToJson(text, { json: true, remove_empty: true, use_classes: false });
  return (
    <>
      {parts.map((part, i) => {
        const style: React.CSSProperties = {};
        const fg = colour(part.fg);
        const bg = colour(part.bg);
        if (fg) style.color = fg;
        if (bg) style.backgroundColor = bg;
        const decorations = new Set(part.decorations ?? []);
        if (decorations.has("bold")) style.fontWeight = 600;
        if (decorations.has("italic")) style.fontStyle = "italic";
        if (decorations.has("underline")) style.textDecoration = "underline";
        if (decorations.has("dim")) style.opacity = 0.7;
        return (
          // biome-ignore lint/suspicious/noArrayIndexKey: the parts of one line never reorder
          <span key={i} style={style}>
            {part.content}
          </span>
        );
      })}
    </>
  );
}

/** The text without escape sequences, for search and copy. */
export function stripAnsi(text: string): string {
  return text.includes("\u001b[") ? Anser.ansiToText(text) : text;
}
