// Colour for diagnostics on a terminal: errors red, warnings yellow. Whether
// to colour is decided once, in src/cli.ts (a TTY and NO_COLOR unset), and
// carried on Io; node:util's styleText does the rest.
import { styleText } from "node:util";
import type { Io } from "./command.js";

const STYLE = { error: "red", warning: "yellow", note: "cyan", bold: "bold" } as const;

export function paint(io: Io, kind: keyof typeof STYLE, text: string): string {
  // The decision is ours (made for stderr); styleText must not second-guess it from stdout.
  return io.color ? styleText(STYLE[kind], text, { validateStream: false }) : text;
}

/** Colour decision for a stream: a terminal, and NO_COLOR unset or empty (https://no-color.org). */
export function colorFor(stream: { isTTY?: boolean }, env: NodeJS.ProcessEnv): boolean {
  if (env.NO_COLOR !== undefined && env.NO_COLOR !== "") return false;
  if (env.FORCE_COLOR !== undefined && env.FORCE_COLOR !== "" && env.FORCE_COLOR !== "0") return true;
  return stream.isTTY === true;
}
