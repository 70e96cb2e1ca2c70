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

/**
 * A layout with the register blocks it uses inlined (`use NAME`). The same
 * layout with the same blocks gives the same object back: the later stages
 * reuse what they made of a layout by its identity (layout-stages.ts).
 */
export function withBlocks(layout: A.Layout, blocks: ReadonlyMap<string, A.RegisterBlock>, ds: Diagnostic[]): A.Layout {
  if (!layout.uses?.length) return layout;
  const used = layout.uses.map((u) => blocks.get(u.name));
  layout.uses.forEach((u, i) => {
    if (!used[i]) ds.push(error("E133", `no register block \`${u.name}\``, u.span, blocks.size ? `register blocks: ${[...blocks.keys()].join(", ")}` : "declare one with `registers NAME { ... }`"));
  });
  const before = inlined.get(layout);
  if (before && before.used.every((b, i) => b === used[i])) return before.layout;
  const whole = { ...layout, body: [...used.flatMap((b) => b?.body ?? []), ...layout.body] };
  inlined.set(layout, { used, layout: whole });
  return whole;
}
const inlined = new WeakMap<A.Layout, { used: readonly (A.RegisterBlock | undefined)[]; layout: A.Layout }>();
