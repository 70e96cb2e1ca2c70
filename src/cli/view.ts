import { parseArgs } from "node:util";
import { formatLspciDump } from "../host/dump.js";
import { lspciCapabilityName } from "../host/capability-names.js";
import { guestView } from "../open-device.js";
import type { Command } from "./command.js";
import { UsageError } from "./command.js";
import { openForVerb } from "./open.js";
import { warningHelp, warningOptions } from "./warnings.js";

export const deviceOptions = {
  device: { type: "string" },
  rules: { type: "string", multiple: true },
  bar: { type: "string", multiple: true },
  json: { type: "boolean" },
  ...warningOptions,
  slot: { type: "string", short: "s" },
  id: { type: "string", short: "d" },
  pf: { type: "string" },
  vf: { type: "string" },
} as const;

/** The device options' choice of one device in a multi-device dump. */
export const selectionOf = (v: { slot?: string; id?: string }) => ({ select: { slot: v.slot, id: v.id } });

export const deviceHelp = `  --device FILE   an lspci -x/-xxx/-xxxx dump (also with -vvv; - for standard input),
                  a binary config file, a live device's address (0000:00:03.0, read
                  from sysfs), or a rule file with an \`image\` (default: examples/nic.rules)
  -s, --slot S    in a dump of several devices, the one at [[[[DOMAIN]:]BUS]:][SLOT][.[FUNC]]
  -d, --id V:D    ...or the one with [VENDOR]:[DEVICE] (both as lspci spells them)
  --pf FILE       the device is an SR-IOV virtual function of this physical function (its
                  dump): IDs and BARs come from the PF's SR-IOV capability, as the host
                  kernel reports them; --vf N names the VF's index (default 0)
  --rules FILE    extra rule or device files (repeatable); the standard library is always loaded
  --bar N=SIZE    BAR N's size, e.g. 0=128K (repeatable; N=rom for the ROM). Without it:
                  the device file's, the input's, a Resizable BAR's current size, else
                  a guess from the address alignment (capped; warned, W005)
  --json          print the result as JSON
${warningHelp}`;

const UNIT: Record<string, number> = { "": 1, K: 1 << 10, M: 1 << 20, G: 2 ** 30 };

/** `--bar 0=128K --bar rom=64K` -> attach options. */
export function parseBarOptions(specs: readonly string[] | undefined): { barSizes: (number | undefined)[]; romSize: number | undefined } {
  const barSizes: (number | undefined)[] = [];
  let romSize: number | undefined;
  for (const spec of specs ?? []) {
    const m = /^([0-5]|rom)=(0x[0-9a-fA-F]+|\d+)([KMG]?)$/.exec(spec);
    const size = m ? Number(m[2]) * UNIT[m[3]] : NaN;
    if (!m || !(size > 0 && Number.isSafeInteger(size) && 2 ** Math.round(Math.log2(size)) === size)) throw new UsageError(`--bar ${spec}: expected N=SIZE with N 0..5 or rom and SIZE a power of two, e.g. 0=128K`);
    if (m[1] === "rom") romSize = size;
    else barSizes[Number(m[1])] = size;
  }
  return { barSizes, romSize };
}

export const viewCommand: Command = {
  name: "view",
  summary: "print the guest's view of a device's configuration space",
  help: `usage: cfgvirt view [--device FILE] [--format lspci|json] [--json] [--rules FILE]...

Prints what a guest sees when it reads every byte of the device's configuration
space through the rules. --format lspci (the default) writes the lspci -xxxx
layout, which \`lspci -F FILE -vvv\` decodes; --format json adds which
capabilities are shown or hidden and why (--json is --format json).

${deviceHelp}
  --format F      lspci (default) or json
`,
  run(args, io) {
    const { values } = parseArgs({ args, options: { ...deviceOptions, format: { type: "string", default: "lspci" } } });
    if (values.format !== "lspci" && values.format !== "json") throw new UsageError(`--format must be lspci or json, not '${values.format}'`);
    const { opened, stop } = openForVerb(values, io);
    if (stop !== undefined) return stop;
    const bytes = guestView(opened.device, opened.host.size);
    if (values.format === "lspci" && !values.json) {
      io.out(formatLspciDump(bytes, opened.source.title));
      return 0;
    }
    const t = opened.tables;
    io.out(
      JSON.stringify(
        {
          device: opened.source.path,
          title: opened.source.title,
          policy: t.policy.name,
          size: bytes.length,
          capabilities: t.placed.map((p) => ({
            name: p.template.name,
            kind: p.template.kind,
            id: p.template.id,
            offset: p.offset,
            visible: p.visible,
            reason: p.reason,
          })),
          unknown: t.unknown.map((u) => ({ kind: u.found.kind, id: u.found.id, offset: u.found.offset, lspciName: lspciCapabilityName(u.found.kind, u.found.id) })),
          bars: t.bars.map((b) => ({ index: b.index, kind: b.kind, size: b.size, sizeFrom: b.source })),
          notes: t.notes,
          config: Buffer.from(bytes).toString("hex"),
        },
        null,
        2,
      ) + "\n",
    );
    return 0;
  },
};
