// Shared register blocks: `registers NAME { ... }` written once, `use NAME`
// inlined into each layout that uses it (the Type 0 and Type 1 headers).
import { error, type Diagnostic } from "../../diag/diagnostic.js";
import type * as A from "../../syntax/ast.js";
import { sourceRef } from "../source-ref.js";

export function registerBlocks(items: readonly A.Item[]): { blocks: Map<string, A.RegisterBlock>; diagnostics: Diagnostic[] } {
  const ds: Diagnostic[] = [];
  const blocks = new Map<string, A.RegisterBlock>();
  for (const b of items) {
    if (b.kind !== "registers") continue;
    const first = blocks.get(b.name.name);
    if (first) ds.push(error("E104", `duplicate register block \`${b.name.name}\``, b.name.span, `the first one is at ${sourceRef(first.span).path}:${sourceRef(first.span).line}`));
    else blocks.set(b.name.name, b);
  }
  return { blocks, diagnostics: ds };
}

/** A layout with the register blocks it uses inlined (`use NAME`). */
export function withBlocks(layout: A.Layout, blocks: ReadonlyMap<string, A.RegisterBlock>, ds: Diagnostic[]): A.Layout {
  if (!layout.uses?.length) return layout;
  const body: A.LayoutStmt[] = [];
  for (const u of layout.uses) {
    const b = blocks.get(u.name);
    if (b) body.push(...b.body);
    else ds.push(error("E133", `no register block \`${u.name}\``, u.span, blocks.size ? `register blocks: ${[...blocks.keys()].join(", ")}` : "declare one with `registers NAME { ... }`"));
  }
  return { ...layout, body: [...body, ...layout.body] };
}
