import { parseArgs } from "node:util";
import type { FieldInfo } from "../compile/template.js";
import { DEFAULT_EXAMPLE, openDevice } from "../open-device.js";
import type { PlacedLayout } from "../runtime/attach.js";
import { type Command, UsageError } from "./command.js";
import { deviceHelp, deviceOptions, parseBarOptions, selectionOf } from "./view.js";

const hex = (n: number, w = 3) => "0x" + n.toString(16).padStart(w, "0");

function policyText(f: FieldInfo): string {
  if (f.policy === "pass") return "pass";
  if (f.policy === "trap") return `trap(${f.detail})`;
  return `${f.policy}(${f.detail})`;
}

export const explainCommand: Command = {
  name: "explain",
  summary: "show the effective rules for a device, per register and field, with their sources",
  help: `usage: cfgvirt explain [--device FILE] [OFFSET] [--rules FILE]...

Prints the rules in force for the device after every include, device file and
override: each capability the host has (shown or hidden, and why), and for the
shown ones every register and field with its attribute, policy, and the rule
file and line it came from (and the override that changed it). With OFFSET
(hex with 0x, or decimal), only the register holding that byte.

${deviceHelp}
`,
  run(args, io) {
    const { values, positionals } = parseArgs({ args, allowPositionals: true, options: deviceOptions });
    if (positionals.length > 1) throw new UsageError("give at most one OFFSET");
    const offset = positionals[0] === undefined ? undefined : Number(positionals[0]);
    if (offset !== undefined && !(Number.isInteger(offset) && offset >= 0 && offset <= 0xfff)) {
      throw new UsageError(`OFFSET '${positionals[0]}' is not a number in 0..0xfff`);
    }
    const opened = openDevice(values.device ?? DEFAULT_EXAMPLE, { rules: values.rules, ...selectionOf(values), ...parseBarOptions(values.bar) });
    const { tables } = opened;
    const lines: string[] = [];
    lines.push(`device ${opened.source.path}: policy "${tables.policy.name}" (${tables.policy.source.path}:${tables.policy.source.line})`);

    const inLayout = (p: PlacedLayout) => offset === undefined || (offset >= p.offset && offset < p.offset + Math.max(p.size, 4));
    for (const p of tables.placed) {
      if (!inLayout(p)) continue;
      const t = p.template;
      lines.push("");
      lines.push(`${t.name} @ ${hex(p.offset)} (${t.kind}${t.kind === "header" ? "" : ` ID ${hex(t.id, t.kind === "extended" ? 4 : 2)}`}, ${p.size} bytes): ${p.visible ? p.reason : "HIDDEN: " + p.reason}`);
      lines.push(`  rules: ${t.source.path}:${t.source.line}${t.spec ? `; spec: ${t.spec}` : ""}`);
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
        lines.push(`    ${bits.padEnd(8)} ${(f.field ?? "-").padEnd(26)} ${f.attribute.padEnd(6)} ${policyText(f).padEnd(26)} ${from}`);
      }
      if (t.rest) lines.push(`    rest     ${"".padEnd(26)} ${t.rest.attribute.padEnd(6)} ${t.rest.policy.padEnd(26)} ${t.rest.source.path}:${t.rest.source.line}`);
    }
    for (const u of tables.unknown) {
      if (offset !== undefined && offset !== u.found.offset) continue;
      lines.push("");
      lines.push(`${u.found.kind} ID ${hex(u.found.id, u.found.kind === "extended" ? 4 : 2)} @ ${hex(u.found.offset)}: HIDDEN: no rule describes it`);
    }
    if (offset !== undefined) {
      const d = offset >> 2;
      const byteMask = 0xff << ((offset & 3) * 8);
      if ((tables.denied[d] & byteMask) !== 0) lines.push(`\n${hex(offset)}: no rule covers this byte: reads 0, writes dropped (default deny)`);
      else if ((tables.covered[d] & byteMask) === 0) lines.push(`\n${hex(offset)}: no rule covers this byte: ${tables.policy.permissive ? "passed through (permissive)" : "hidden"}`);
    }
    io.out(lines.join("\n") + "\n");
    return 0;
  },
};
