// A capability layout that writes its own header must write the standard one,
// so that the headers of 30-odd capabilities cannot drift apart. (Whether it
// marks the ID `const` is its own choice: without, the ID is read live.)
import { error, type Diagnostic } from "../../diag/diagnostic.js";
import type * as A from "../../syntax/ast.js";
import { standardCapabilityHeader, writtenHeader } from "../resolve/capability-header.js";

const shape = (r: A.Register) =>
  `${r.name.name} u${r.width} ${r.fields.map((f) => `[${f.hi}:${f.lo}] ${f.name ?? "-"} ${f.attribute} ${f.policy.kind}${f.policy.kind === "emulate" && f.policy.init.kind === "link" ? `(${f.policy.init.link})` : ""}`).join("; ")}`;

export function validateCapabilityHeader(layout: A.Layout): Diagnostic[] {
  const standard = standardCapabilityHeader(layout);
  const written = writtenHeader(layout);
  if (!standard || !written || written === standard || shape(written) === shape(standard)) return [];
  const std = layout.layoutKind === "capability";
  return [error("E131", `the ${std ? "capability" : "extended capability"} header of ${layout.name.name} differs from the standard one`, written.span,
    `leave it out (the compiler writes it), or write: ${shape(standard).replace(/^header u(\d+) /, "register header @ 0x00 u$1 { ")} }`)];
}
