// Every capability starts with the same header: ID and next pointer (standard),
// or ID, version and next pointer (extended); the guest sees the ID and version
// as the device had them at attach and a next pointer re-linked around hidden ones. A
// layout that writes no register at 0x00 gets it from here; one that writes it
// must write exactly this (validate/capability-header.ts, E131).
import type * as A from "../../syntax/ast.js";

/** The header the compiler writes for a capability layout (none for a header layout). */
export function standardCapabilityHeader(layout: A.Layout): A.Register | undefined {
  if (layout.layoutKind === "header") return undefined;
  const std = layout.layoutKind === "capability";
  const at = layout.name.span;
  const policy = (p: "pass" | "next"): A.Policy => (p === "pass" ? { kind: "pass", span: at } : { kind: "emulate", init: { kind: "link", link: "next" }, span: at });
  // The ID and version are constant (`RO const`): served from the attach-time snapshot.
  const field = (hi: number, lo: number, name: string, p: "pass" | "next"): A.Field =>
    ({ hi, lo, bitsSpan: at, name, nameSpan: at, attribute: "RO", attributeSpan: at, ...(p === "pass" ? { constant: at } : {}), policy: policy(p), span: at });
  return {
    kind: "register",
    name: { name: "header", span: at },
    offset: { value: 0, span: at },
    width: std ? 16 : 32,
    fields: std ? [field(7, 0, "id", "pass"), field(15, 8, "next", "next")] : [field(15, 0, "id", "pass"), field(19, 16, "version", "pass"), field(31, 20, "next", "next")],
    span: at,
  };
}

/** The register a layout writes at 0x00, if any. */
export const writtenHeader = (layout: A.Layout): A.Register | undefined =>
  layout.body.find((s): s is A.Register => s.kind === "register" && s.offset.value === 0);

/**
 * The layout with the standard header added where it writes none. The same
 * tree gives the same object back: the later stages reuse what they made of a
 * layout by its identity (layout-stages.ts).
 */
export function withCapabilityHeader(layout: A.Layout): A.Layout {
  const standard = standardCapabilityHeader(layout);
  if (!standard || writtenHeader(layout)) return layout;
  let whole = completed.get(layout);
  if (!whole) completed.set(layout, (whole = { ...layout, body: [standard, ...layout.body] }));
  return whole;
}
const completed = new WeakMap<A.Layout, A.Layout>();
