// `cfgvirt list`: this machine's PCI devices (sysfs) and what cfgvirt would do
// with each: pass it through or not, and why; which device file applies; which
// capabilities the guest would see; where the BAR sizes come from.
import { readlinkSync } from "node:fs";
import { basename, join } from "node:path";
import { parseArgs } from "node:util";
import { compileRules, type CompiledRules } from "../compile/pipeline.js";
import { CfgvirtError } from "../diag/diagnostic.js";
import { listAddresses, readSysfsDevice, SYSFS_PCI_DEVICES } from "../host/sysfs.js";
import { openSource } from "../open-device.js";
import { headerTypeOf } from "../runtime/attach.js";
import { SimulatedDevice } from "../host/simulated.js";
import type { Command } from "./command.js";

/** PCI base class names, as lspci prints them (PCI Code and ID Assignment §1). */
const BASE_CLASSES = [
  "Unclassified device", "Mass storage controller", "Network controller", "Display controller", "Multimedia controller",
  "Memory controller", "Bridge", "Communication controller", "Generic system peripheral", "Input device controller",
  "Docking station", "Processor", "Serial bus controller", "Wireless controller", "Intelligent controller",
  "Satellite communications controller", "Encryption controller", "Signal processing controller",
  "Processing accelerators", "Non-Essential Instrumentation",
];

export interface ListedDevice {
  readonly address: string;
  readonly id: string;
  readonly classCode: string;
  readonly className: string;
  readonly passThrough: boolean;
  /** Why not, or what happens to it. */
  readonly reason: string;
  readonly policy?: string;
  readonly shown?: readonly string[];
  readonly hidden?: readonly string[];
  readonly bars?: readonly { index: number; kind: string; size: number; from: string }[];
  readonly driver?: string;
  readonly iommuGroup?: string;
}

function link(path: string): string | undefined {
  try {
    return basename(readlinkSync(path));
  } catch {
    return undefined;
  }
}
const hex = (n: number, w: number) => n.toString(16).padStart(w, "0");

function size(n: number): string {
  for (const [unit, k] of [["G", 2 ** 30], ["M", 2 ** 20], ["K", 2 ** 10]] as const) if (n >= k && n % k === 0) return `${n / k}${unit}`;
  return String(n);
}

/** What cfgvirt would do with one sysfs device. */
export function describeDevice(address: string, root: string, compiled: CompiledRules): ListedDevice {
  const dir = join(root, address);
  const extra = { driver: link(join(dir, "driver")), iommuGroup: link(join(dir, "iommu_group")) };
  let dump;
  try {
    dump = readSysfsDevice(address, root);
  } catch (e) {
    if (!(e instanceof CfgvirtError)) throw e;
    return { address, id: "????:????", classCode: "????", className: "?", passThrough: false, reason: `cannot read it: ${e.diagnostics[0].message}`, ...extra };
  }
  const b = dump.bytes;
  const id = `${hex(b[0] | (b[1] << 8), 4)}:${hex(b[2] | (b[3] << 8), 4)}`;
  const classCode = hex((b[0x0b] << 8) | b[0x0a], 4);
  const className = BASE_CLASSES[b[0x0b]] ?? (b[0x0b] === 0xff ? "Unassigned class" : "Unknown class");
  const base = { address, id, classCode, className, ...extra };
  const type = headerTypeOf(new SimulatedDevice(dump.bytes));
  if (type !== 0) {
    return { ...base, passThrough: false, reason: `a bridge (header type ${type}): bridges stay with the host; the platform emulates the ones a guest sees` };
  }
  if (b[0x0b] === 0x06 && b[0x0a] === 0x00) {
    return { ...base, passThrough: false, reason: "the host bridge: it stays with the host; the platform emulates one for the guest" };
  }
  try {
    const opened = openSource(
      { path: address, title: dump.title ?? address, bytes: dump.bytes, barSizes: [], romSize: undefined, vpd: undefined, inputSizes: dump.sizes, compiled },
      {},
    );
    const t = opened.tables;
    return {
      ...base,
      passThrough: true,
      reason: t.policy.name === "default" ? "no device file matches: every capability gets its default rules" : `device file "${t.policy.name}" (${t.policy.source.path}:${t.policy.source.line})`,
      policy: t.policy.name,
      shown: t.placed.filter((p) => p.visible && p.template.kind !== "header").map((p) => p.template.name),
      hidden: [
        ...t.placed.filter((p) => !p.visible).map((p) => p.template.name),
        ...t.unknown.map((u) => `${u.found.kind} 0x${hex(u.found.id, u.found.kind === "extended" ? 4 : 2)} (no rules)`),
      ],
      bars: t.bars.filter((x) => x.size > 0).map((x) => {
        const given = x.index === 6 ? dump.sizes?.rom : dump.sizes?.bars[x.index];
        const fromFile = x.index === 6 ? t.policy.romSize : t.policy.barSizes[x.index];
        const from = given === x.size && dump.sizes ? dump.sizes.source : fromFile === x.size ? "device file" : "guessed";
        return { index: x.index, kind: x.kind, size: x.size, from };
      }),
    };
  } catch (e) {
    if (!(e instanceof CfgvirtError)) throw e;
    return { ...base, passThrough: false, reason: e.diagnostics[0].message };
  }
}

/** `a, b, b, b` -> `a, b x3`. */
function counted(names: readonly string[]): string {
  const counts = new Map<string, number>();
  for (const n of names) counts.set(n, (counts.get(n) ?? 0) + 1);
  return [...counts].map(([n, k]) => (k > 1 ? `${n} x${k}` : n)).join(", ");
}

function line(d: ListedDevice): string {
  const head = `${d.address}  ${d.id}  [${d.classCode}] ${d.className}`;
  const verdict = d.passThrough ? `  pass-through: yes, ${d.reason}` : `  pass-through: no, ${d.reason}`;
  const parts = [head, verdict];
  if (d.shown) parts.push(`  shown: ${d.shown.join(", ") || "(none)"}`);
  if (d.hidden?.length) parts.push(`  hidden: ${counted(d.hidden)}`);
  if (d.bars?.length) parts.push(`  BARs: ${d.bars.map((x) => `${x.index === 6 ? "ROM" : x.index}=${size(x.size)} (${x.from})`).join(", ")}`);
  parts.push(`  driver: ${d.driver ?? "none"}; IOMMU group: ${d.iommuGroup ?? "none (VFIO needs one to take the device)"}`);
  return parts.join("\n");
}

export const listCommand: Command = {
  name: "list",
  summary: "list this machine's PCI devices and what cfgvirt would do with each",
  help: `usage: cfgvirt list [--json] [--rules FILE]... [--sysfs DIR]

Reads every device under /sys/bus/pci/devices and says whether cfgvirt would
pass it through to a guest (bridges and the host bridge stay with the host) and
why: the device file that applies, the capabilities the guest sees and the ones
hidden, and the BAR sizes with where they came from. Reading past the first 64
bytes of a device's configuration space needs root.

  --json        print the list as JSON
  --rules FILE  extra rule or device files (repeatable)
  --sysfs DIR   read devices from DIR instead of ${SYSFS_PCI_DEVICES}
`,
  run(args, io) {
    const { values } = parseArgs({ args, options: { json: { type: "boolean" }, rules: { type: "string", multiple: true }, sysfs: { type: "string" } } });
    const root = values.sysfs ?? SYSFS_PCI_DEVICES;
    const addresses = listAddresses(root);
    const compiled = compileRules(values.rules ?? []);
    const devices = addresses.map((a) => describeDevice(a, root, compiled));
    if (values.json) io.out(JSON.stringify({ sysfs: root, devices }, null, 2) + "\n");
    else if (devices.length === 0) io.out(`no PCI devices under ${root}\n`);
    else io.out(devices.map(line).join("\n\n") + "\n");
    return 0;
  },
};
