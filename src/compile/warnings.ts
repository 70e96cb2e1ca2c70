// Warnings about rule files as a whole, independent of any device: two device
// files that claim the same devices, and overrides that turn a trapped field
// into plain pass-through (the hook then never sees the guest's writes).
import { type Diagnostic, warning } from "../diag/diagnostic.js";
import type * as A from "../syntax/ast.js";
import { storedRuleWarnings } from "./compiled-json.js";
import type { CompiledRules } from "./pipeline.js";

function matchKey(m: A.Match): string {
  if (m.kind === "class") return `class ${m.value.toString(16)}/${m.mask.toString(16)}`;
  const h = (n: number | undefined) => (n === undefined ? "*" : n.toString(16).padStart(4, "0"));
  return `ids ${h(m.vendor)}:${h(m.device)} ${h(m.subsystemVendor)}:${h(m.subsystem)}`;
}

function matchText(m: A.Match): string {
  return m.span.source.text.slice(m.span.start, m.span.end).trim();
}

export function ruleWarnings(compiled: CompiledRules): Diagnostic[] {
  // Compiled rules loaded from JSON carry the warnings found when they compiled.
  const stored = storedRuleWarnings(compiled);
  if (stored) return [...stored];
  const ds: Diagnostic[] = [];
  const firstByKey = new Map<string, A.Device>();
  for (const device of compiled.ruleSet.devices) {
    for (const m of device.matches) {
      const key = matchKey(m);
      const first = firstByKey.get(key);
      if (!first) {
        firstByKey.set(key, device);
        continue;
      }
      if (first === device) continue;
      const at = first.span.source.position(first.span.start);
      ds.push(warning("W002", `device "${device.name}" and device "${first.name}" both match \`${matchText(m)}\`; only "${device.name}" (loaded last) applies`, m.span,
        `"${first.name}" is at ${first.span.source.path}:${at.line}; merge the two device files or make one more specific`));
    }
    for (const stmt of device.stmts) {
      if (stmt.kind !== "override" || stmt.policy.kind !== "pass") continue;
      const [l, r, f] = stmt.path.parts.map((p) => p.name);
      const field = compiled.templatesByName.get(l)?.fields.find((x) => x.register === r && x.field === f && x.policy === "trap");
      if (!field) continue;
      ds.push(warning("W006", `override makes ${l}.${r}.${f} \`pass\`: its hook \`${field.detail.split(",")[0]}\` no longer sees the guest's writes`, stmt.span,
        `the rule at ${field.source.path}:${field.source.line} traps it so the platform can act on it; override it to \`pass\` only if the platform does not need to`));
    }
  }
  return ds;
}
