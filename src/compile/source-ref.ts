// Where a rule came from, as plain data that templates and JSON carry.
import type { Span } from "../diag/diagnostic.js";
import type { SourceRef } from "./template.js";

export function sourceRef(span: Span): SourceRef {
  return { path: span.source.path, line: span.source.position(span.start).line };
}
