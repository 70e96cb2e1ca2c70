// The resolve stage, layouts: each layout by name and by ID (one layout per
// name, one per ID), capability layouts completed with the standard header.
import { error, type Diagnostic } from "../../diag/diagnostic.js";
import type * as A from "../../syntax/ast.js";
import { sourceRef } from "../source-ref.js";
import { withCapabilityHeader } from "./capability-header.js";

export function indexLayouts(written: readonly A.Layout[]): { layoutsByName: Map<string, A.Layout>; diagnostics: Diagnostic[] } {
  const ds: Diagnostic[] = [];
  const layoutsByName = new Map<string, A.Layout>();
  const byId = new Map<string, A.Layout>();
  for (const w of written) {
    const layout = withCapabilityHeader(w);
    const prev = layoutsByName.get(layout.name.name);
    if (prev) {
      ds.push(error("E104", `duplicate layout name \`${layout.name.name}\``, layout.name.span, `the first one is at ${where(prev)}`));
      continue;
    }
    const ids = [layout.id, ...(layout.otherIds ?? [])];
    const clash = ids.find((id) => byId.has(`${layout.layoutKind}:${id.value}`));
    if (clash) {
      const sameId = byId.get(`${layout.layoutKind}:${clash.value}`)!;
      ds.push(error("E104", `${layout.layoutKind} ID 0x${clash.value.toString(16)} is already described by \`${sameId.name.name}\``, clash.span,
        `the first one is at ${where(sameId)}; one layout per ID`));
      continue;
    }
    layoutsByName.set(layout.name.name, layout);
    for (const id of ids) byId.set(`${layout.layoutKind}:${id.value}`, layout);
  }
  return { layoutsByName, diagnostics: ds };
}

function where(layout: A.Layout): string {
  const r = sourceRef(layout.span);
  return `${r.path}:${r.line}`;
}
