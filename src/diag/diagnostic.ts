// Diagnostics shared by every input the tool reads: rule files, dumps, access
// scripts, compiled JSON. One shape everywhere:
//   path:line:col: error[CODE]: message
//      12 |     [0] enable RW trap(msi_enable)
//         |     ^^^^^^^^^^
//   help: what to do about it

/** A named text with a lazily built line index. */
export class SourceFile {
  private lineStarts: number[] | undefined;
  constructor(
    readonly path: string,
    readonly text: string,
  ) {}

  /** 1-based line and column of a character offset. */
  position(offset: number): { line: number; col: number } {
    const starts = this.starts();
    let lo = 0;
    let hi = starts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (starts[mid] <= offset) lo = mid;
      else hi = mid - 1;
    }
    return { line: lo + 1, col: offset - starts[lo] + 1 };
  }

  /** The text of a 1-based line, without its newline. */
  lineText(line: number): string {
    const starts = this.starts();
    const start = starts[line - 1] ?? this.text.length;
    const end = line < starts.length ? starts[line] - 1 : this.text.length;
    return this.text.slice(start, end).replace(/\r$/, "");
  }

  /** The character offset where a 1-based line starts. */
  lineStart(line: number): number {
    return this.starts()[line - 1] ?? this.text.length;
  }

  private starts(): number[] {
    if (!this.lineStarts) {
      const starts = [0];
      for (let i = 0; i < this.text.length; i++) if (this.text.charCodeAt(i) === 10) starts.push(i + 1);
      this.lineStarts = starts;
    }
    return this.lineStarts;
  }
}

/** A half-open character range in a source file. */
export interface Span {
  readonly source: SourceFile;
  readonly start: number;
  readonly end: number;
}

export function spanOfLine(source: SourceFile, line: number, col = 1, length = 1): Span {
  const start = source.lineStart(line) + col - 1;
  return { source, start, end: start + Math.max(1, length) };
}

export type Severity = "error" | "warning";

export interface Diagnostic {
  readonly code: string;
  readonly severity: Severity;
  readonly message: string;
  readonly span?: Span;
  readonly help?: string;
}

export function error(code: string, message: string, span?: Span, help?: string): Diagnostic {
  return { code, severity: "error", message, span, help };
}

/**
 * A warning: the input is accepted, but probably not what was meant (a device
 * file that matches nothing, a guessed BAR size). Printed on stderr with
 * `warning[W...]`; `--deny-warnings` turns every warning into an error.
 */
export function warning(code: string, message: string, span?: Span, help?: string): Diagnostic {
  return { code, severity: "warning", message, span, help };
}

/** The same diagnostics with every warning made an error (`--deny-warnings`). */
export function denyWarnings(ds: readonly Diagnostic[]): Diagnostic[] {
  return ds.map((d) => (d.severity === "warning" ? { ...d, severity: "error" } : d));
}

/** The closing count, e.g. `2 warnings emitted`; empty when there are none. */
export function warningSummary(ds: readonly Diagnostic[]): string {
  const n = ds.filter((d) => d.severity === "warning").length;
  return n === 0 ? "" : `${n} warning${n === 1 ? "" : "s"} emitted`;
}

/** Render one diagnostic in the `path:line:col: error[CODE]: message` shape. */
export function formatDiagnostic(d: Diagnostic): string {
  const lines: string[] = [];
  if (!d.span) {
    lines.push(`${d.severity}[${d.code}]: ${d.message}`);
  } else {
    const { source, start, end } = d.span;
    const { line, col } = source.position(start);
    lines.push(`${source.path}:${line}:${col}: ${d.severity}[${d.code}]: ${d.message}`);
    const text = source.lineText(line);
    const gutter = String(line).length;
    const lastOnLine = source.lineStart(line) + text.length;
    const caretLen = Math.max(1, Math.min(end, lastOnLine) - start);
    lines.push(`${" ".repeat(gutter + 1)}|`);
    lines.push(`${line} | ${text}`);
    lines.push(`${" ".repeat(gutter + 1)}| ${" ".repeat(col - 1)}${"^".repeat(caretLen)}`);
  }
  if (d.help) lines.push(`help: ${d.help}`);
  return lines.join("\n");
}

/** At most this many diagnostics are printed; the rest are counted ("and N more"). */
export const MAX_SHOWN_DIAGNOSTICS = 50;

/** Render diagnostics, at most MAX_SHOWN_DIAGNOSTICS of them, then how many more there were. */
export function formatDiagnostics(ds: readonly Diagnostic[], omitted = 0): string {
  const shown = ds.slice(0, MAX_SHOWN_DIAGNOSTICS);
  const more = ds.length - shown.length + omitted;
  const text = shown.map(formatDiagnostic).join("\n\n");
  return more > 0 ? `${text}\n\n... and ${more} more error${more === 1 ? "" : "s"}` : text;
}

/**
 * A stage's diagnostics, bounded: a file with an error on every line keeps the
 * first MAX_SHOWN_DIAGNOSTICS and only counts the others, so neither memory nor
 * the message grows with the input.
 */
export class DiagnosticList {
  readonly items: Diagnostic[] = [];
  omitted = 0;
  push(d: Diagnostic): void {
    if (this.items.length < MAX_SHOWN_DIAGNOSTICS) this.items.push(d);
    else this.omitted++;
  }
  get length(): number {
    return this.items.length + this.omitted;
  }
  throwIfAny(): void {
    if (this.length > 0) throw new CfgvirtError(this.items, this.omitted);
  }
}

/**
 * The typed error a library caller gets: every diagnostic of the failing stage,
 * with the first one's code and span at hand.
 */
export class CfgvirtError extends Error {
  readonly code: string;
  readonly span: Span | undefined;
  constructor(
    readonly diagnostics: readonly Diagnostic[],
    /** Diagnostics of the stage that were counted but not kept. */
    readonly omitted = 0,
  ) {
    super(formatDiagnostics(diagnostics, omitted));
    this.name = "CfgvirtError";
    this.code = diagnostics[0]?.code ?? "E000";
    this.span = diagnostics[0]?.span;
  }
}

/** Throw when a stage collected any error. */
export function throwIfErrors(ds: readonly Diagnostic[]): void {
  if (ds.some((d) => d.severity === "error")) throw new CfgvirtError(ds);
}
