import { parseArgs } from "node:util";
import type { FieldInfo } from "../compile/template.js";
import { lspciCapabilityName } from "../host/capability-names.js";
import type { PlacedLayout } from "../runtime/attach.js";
import { type Command, UsageError } from "./command.js";
import { openForVerb } from "./open.js";
import { deviceHelp, deviceOptions } from "./view.js";

const hex = (n: number, w = 3) => "0x" + n.toString(16).padStart(w, "0");

function policyText(f: FieldInfo): string {
  if (f.policy === "pass") return f.detail === "read" ? "pass(read)" : f.detail === "const" ? "pass (constant: read once, at attach)" : "pass";
  if (f.policy === "trap") return `trap(${f.detail})`;
  return `${f.policy}(${f.detail})`;
}

export const explainCommand: Command = {
  name: "explain",
  summary: "show the effective rules for a device, per register and field, with their sources",
  help: `usage: cfgvirt explain [--device FILE] [OFFSET] [--json] [--rules FILE]...

Prints the rules in force for the device after every include, device file and
override: each capability the host has (shown or hidden, and why), and for the
shown ones every register and field with its attribute, policy, and the rule
file and line it came from (and the override that changed it). With OFFSET
(hex with 0x, or decimal), only the register holding that byte. Capabilities
no rule describes are hidden and named as lspci names them. --json prints the
same as one object (layouts, their fields, unknown capabilities).

${deviceHelp}
`,
  run(args, io) {
    const { values, positionals } = parseArgs({ args, allowPositionals: true, options: deviceOptions });
    if (positionals.length > 1) throw new UsageError("give at most one OFFSET");
    const offset = positionals[0] === undefined ? undefined : Number(positionals[0]);
    if (offset !== undefined && !(Number.isInteger(offset) && offset >= 0 && offset <= 0xfff)) {
      throw new UsageError(`OFFSET '${positionals[0]}' is not a number in 0..0xfff`);
    }
    const { opened, stop } = openForVerb(values, io);
    if (stop !== undefined) return stop;
    const { tables } = opened;
    const json = { device: opened.source.path, policy: tables.policy.name, policySource: tables.policy.source, layouts: [] as object[], unknown: [] as object[], byte: undefined as string | undefined };
    const lines: string[] = [];
    lines.push(`device ${opened.source.path}: policy "${tables.policy.name}" (${tables.policy.source.path}:${tables.policy.source.line})`);

    const inLayout = (p: PlacedLayout) => offset === undefined || (offset >= p.offset && offset < p.offset + Math.max(p.size, 4));
    for (const p of tables.placed) {
      if (!inLayout(p)) continue;
      const t = p.template;
      lines.push("");
      lines.push(`${t.name} @ ${hex(p.offset)} (${t.kind}${t.kind === "header" ? "" : ` ID ${hex(t.id, t.kind === "extended" ? 4 : 2)}`}, ${p.size} bytes): ${p.visible ? p.reason : "HIDDEN: " + p.reason}`);
      lines.push(`  rules: ${t.source.path}:${t.source.line}${t.spec ? `; spec: ${t.spec}` : ""}`);
      const fields: object[] = [];
      json.layouts.push({ name: t.name, kind: t.kind, id: t.id, offset: p.offset, size: p.size, visible: p.visible, reason: p.reason, source: t.source, spec: t.spec, fields });
      if (!p.visible) continue;
      let lastRegister = "";
      for (const f of t.fields) {
        if (f.guard >= 0 && !p.guards[f.guard]) continue;
        const abs = p.offset + f.offset;
        if (offset !== undefined && (offset < abs || offset >= abs + f.width / 8)) continue;
        if (f.register !== lastRegister) {
          lines.push(`  ${hex(abs)} ${f.register} u${f.width}`);
          lastRegister = f.register;
        }
        const bits = f.hi === f.lo ? `[${f.lo}]` : `[${f.hi}:${f.lo}]`;
        const from = `${f.source.path}:${f.source.line}` + (f.overriddenBy ? ` (overridden at ${f.overriddenBy.path}:${f.overriddenBy.line})` : "");
        fields.push({ offset: abs, register: f.register, width: f.width, hi: f.hi, lo: f.lo, field: f.field ?? null, attribute: f.attribute, policy: policyText(f), source: f.source, overriddenBy: f.overriddenBy ?? null });
        lines.push(`    ${bits.padEnd(8)} ${(f.field ?? "-").padEnd(26)} ${f.attribute.padEnd(6)} ${policyText(f).padEnd(26)} ${from}`);
      }
      if (t.rest) lines.push(`    rest     ${"".padEnd(26)} ${t.rest.attribute.padEnd(6)} ${t.rest.policy.padEnd(26)} ${t.rest.source.path}:${t.rest.source.line}`);
    }
    for (const u of tables.unknown) {
      if (offset !== undefined && offset !== u.found.offset) continue;
      lines.push("");
      const lspciName = lspciCapabilityName(u.found.kind, u.found.id);
      json.unknown.push({ kind: u.found.kind, id: u.found.id, offset: u.found.offset, lspciName });
      lines.push(`${u.found.kind} ID ${hex(u.found.id, u.found.kind === "extended" ? 4 : 2)} @ ${hex(u.found.offset)} (lspci: ${lspciName}): HIDDEN: no rule describes it`);
    }
    const bars = tables.bars.filter((b) => b.size > 0 && (offset === undefined || (offset >= 0x10 && offset < 0x28) || offset === 0x30));
    if (bars.length > 0) lines.push("", "BAR sizes (from: option, device-file, input, resizable-bar or guess):");
    for (const b of bars) lines.push(`  ${b.index === 6 ? "ROM  " : `BAR ${b.index}`} ${b.kind.padEnd(5)} ${String(b.size).padStart(12)} bytes  from ${b.source}`);
    if (offset !== undefined) {
      const d = offset >> 2;
      const byteMask = 0xff << ((offset & 3) * 8);
      if ((tables.denied[d] & byteMask) !== 0) json.byte = "no rule covers this byte: reads 0, writes dropped (default deny)";
      else if ((tables.covered[d] & byteMask) === 0) json.byte = `no rule covers this byte: ${tables.policy.permissive ? "passed through (permissive)" : "hidden"}`;
      if (json.byte) lines.push(`\n${hex(offset)}: ${json.byte}`);
    }
    if (values.json) {
      io.out(JSON.stringify(json, null, 2) + "\n");
      return 0;
    }
    io.out(lines.join("\n") + "\n");
    return 0;
  },
};
