// Warnings about one attached device: the device files that were given but do
// not apply, the statements a more specific device file silently drops, the
// capabilities no rule knows (hidden), and BAR sizes nobody gave (guessed).
import { resolve } from "node:path";
import { deviceFileFacts } from "../compile/compiled-json.js";
import { matchDevice } from "../compile/apply/match.js";
import type { CompiledRules } from "../compile/pipeline.js";
import { type Diagnostic, warning } from "../diag/diagnostic.js";
import { lspciCapabilityName } from "../host/capability-names.js";
import type { HostDevice } from "../host/host.js";
import { identityOf } from "./attach.js";
import type { DeviceTables } from "./tables.js";

export interface DeviceWarningInput {
  readonly compiled: CompiledRules;
  readonly host: HostDevice;
  readonly tables: DeviceTables;
  /** Rule files the user named (--rules, a device's own rule file): their device files must apply. */
  readonly userFiles: readonly string[];
}

const hex = (n: number, w: number) => "0x" + n.toString(16).padStart(w, "0");

/** The name of a BAR for messages: `BAR 2`, `the expansion ROM`. */
export function barName(index: number): string {
  return index === 6 ? "the expansion ROM" : `BAR ${index}`;
}

/** A size as the command line spells it: 128K, 8M, 1G. */
export function sizeText(bytes: number): string {
  for (const [unit, n] of [["G", 2 ** 30], ["M", 2 ** 20], ["K", 2 ** 10]] as const) if (bytes >= n && bytes % n === 0) return `${bytes / n}${unit}`;
  return String(bytes);
}


export function deviceWarnings(input: DeviceWarningInput): Diagnostic[] {
  const { compiled, host, tables } = input;
  const ds: Diagnostic[] = [];
  const id = identityOf(host);
  const idText = `${hex(id.vendor, 4).slice(2)}:${hex(id.device, 4).slice(2)} class ${hex(id.classCode, 6)}`;
  const chosen = tables.policy;
  // Diagnostics name files relative to the working directory; resolve both sides.
  const userFiles = new Set(input.userFiles.map((p) => resolve(p)));
  // What the syntax would say of each device file (compiled rules loaded from JSON carry it).
  compiled.devices.forEach((policy, i) => {
    const device = deviceFileFacts(compiled, i);
    const matches = matchDevice([policy], id) !== undefined;
    if (!matches) {
      if (device.standard !== undefined ? !device.standard : userFiles.has(resolve(device.span.source.path))) {
        ds.push(warning("W001", `device "${policy.name}" matches no device here: this device is ${idText}`, device.span,
          "check the `match` line against `lspci -nn`; the file's statements do not apply"));
      }
      return;
    }
    if (policy === chosen || device.statementKinds.length === 0) return;
    const kinds = device.statementKinds.join(", ");
    ds.push(warning("W003", `device "${policy.name}" also matches this device, but the more specific "${chosen.name}" applies: its statements (${kinds}) are dropped`, device.span,
      `only one device file applies (${chosen.source.path}:${chosen.source.line}); repeat in "${chosen.name}" what it should keep`));
  });

  for (const u of tables.unknown) {
    const f = u.found;
    ds.push(warning("W004", `${f.kind === "extended" ? "extended capability" : "capability"} ${hex(f.id, f.kind === "extended" ? 4 : 2)} at ${hex(f.offset, 3)} (lspci: ${lspciCapabilityName(f.kind, f.id)}) has no rules: hidden from the guest`, undefined,
      `describe it with \`${f.kind === "extended" ? "extended" : "capability"} NAME id ${hex(f.id, f.kind === "extended" ? 4 : 2)} { ... }\` to show it`));
  }

  for (const b of tables.bars) {
    if (b.size === 0 || b.source !== "guess") continue;
    const flag = b.index === 6 ? "rom" : String(b.index);
    ds.push(warning("W005", `${barName(b.index)}'s size is a guess: ${sizeText(b.size)} (the alignment of its programmed address)`, undefined,
      `give the real size (lspci -vv shows [size=...]): --bar ${flag}=SIZE, or \`${b.index === 6 ? "rom size" : `bar ${b.index} size`} S\` in a device file`));
  }
  return ds;
}
