// Warnings on the command line: collected per run, printed on stderr as
// `warning[W...]`, counted at the end; `--deny-warnings` makes them errors
// (exit status 2, and no output).
import { ruleWarnings } from "../compile/warnings.js";
import { type Diagnostic, denyWarnings, formatDiagnostics, warningSummary } from "../diag/diagnostic.js";
import type { OpenedDevice, OpenOptions } from "../open-device.js";
import { deviceWarnings } from "../runtime/warnings.js";
import { EXIT, type Io } from "./command.js";
import { paint } from "./style.js";

export const warningOptions = { "deny-warnings": { type: "boolean" } } as const;
export const warningHelp = `  --deny-warnings treat warnings (warning[W...] on stderr) as errors: exit 2`;

/** Every warning about an opened device and the rules it was compiled with. */
export function warningsFor(opened: OpenedDevice, opts: Pick<OpenOptions, "rules">): Diagnostic[] {
  const { source, tables } = opened;
  const userFiles = [...(opts.rules ?? []), ...(source.path.endsWith(".rules") ? [source.path] : [])];
  return [...ruleWarnings(source.compiled), ...deviceWarnings({ compiled: source.compiled, host: opened.host, tables, userFiles })];
}

/** Diagnostic text with each `error[CODE]` / `warning[CODE]` head coloured (red, yellow). */
export function colorHeads(io: Io, text: string): string {
  if (!io.color) return text;
  return text.replace(/\b(error|warning)\[[A-Z]+\d+\]/g, (head, kind: "error" | "warning") => paint(io, kind, head));
}

/** Warnings printed during a run, per Io, for the count at its end. */
const printed = new WeakMap<Io, Diagnostic[]>();

/**
 * Print warnings (or, denied, errors) on stderr as they are found. Returns the
 * exit status to stop with when they are denied, else undefined: carry on.
 */
export function reportWarnings(io: Io, ds: readonly Diagnostic[], deny: boolean | undefined): number | undefined {
  if (ds.length === 0) return undefined;
  const shown = deny ? denyWarnings(ds) : ds;
  io.err(colorHeads(io, formatDiagnostics(shown)) + "\n");
  if (deny) {
    io.err(`${paint(io, "error", "error")}: ${ds.length} warning${ds.length === 1 ? "" : "s"} denied (--deny-warnings)\n`);
    return EXIT.usage;
  }
  printed.set(io, [...(printed.get(io) ?? []), ...ds]);
  return undefined;
}

/** The count of the run's warnings, printed last (src/cli/main.ts calls it when a verb ends). */
export function finishWarnings(io: Io): void {
  const ds = printed.get(io);
  if (!ds?.length) return;
  printed.delete(io);
  io.err(`${paint(io, "warning", "warning")}: ${warningSummary(ds)}\n`);
}
