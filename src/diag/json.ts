// Diagnostics as JSON for editors and tools (`--error-format json`): one object
// a line, positions 1-based, the end exclusive (the column after the last
// character), like the text form's `path:line:col`.
import type { Diagnostic } from "./diagnostic.js";

export interface DiagnosticJson {
  readonly file: string | null;
  readonly line: number | null;
  readonly col: number | null;
  readonly endLine: number | null;
  readonly endCol: number | null;
  readonly code: string;
  readonly severity: "error" | "warning";
  readonly message: string;
  readonly help: string | null;
}

export function diagnosticToJson(d: Diagnostic): DiagnosticJson {
  const start = d.span ? d.span.source.position(d.span.start) : undefined;
  const end = d.span ? d.span.source.position(Math.max(d.span.end, d.span.start + 1)) : undefined;
  return {
    file: d.span?.source.path ?? null,
    line: start?.line ?? null,
    col: start?.col ?? null,
    endLine: end?.line ?? null,
    endCol: end?.col ?? null,
    code: d.code,
    severity: d.severity,
    message: d.message,
    help: d.help ?? null,
  };
}

/** JSON Lines: one diagnostic an object a line. */
export function formatDiagnosticsJson(ds: readonly Diagnostic[]): string {
  return ds.map((d) => JSON.stringify(diagnosticToJson(d)) + "\n").join("");
}
