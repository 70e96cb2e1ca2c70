import { parseArgs } from "node:util";
import { formatLspciDump } from "../host/dump.js";
import { DEFAULT_EXAMPLE, guestView, openDevice } from "../open-device.js";
import type { Command } from "./command.js";
import { UsageError } from "./command.js";

export const deviceOptions = {
  device: { type: "string" },
  rules: { type: "string", multiple: true },
} as const;

export const deviceHelp = `  --device FILE   an lspci -x/-xxx/-xxxx dump, a binary config file, or a rule
                  file with an \`image\` (default: the example NIC, examples/nic.rules)
  --rules FILE    extra rule or device files (repeatable); the standard library is always loaded`;

export const viewCommand: Command = {
  name: "view",
  summary: "print the guest's view of a device's configuration space",
  help: `usage: cfgvirt view [--device FILE] [--format lspci|json] [--rules FILE]...

Prints what a guest sees when it reads every byte of the device's configuration
space through the rules. --format lspci (the default) writes the lspci -xxxx
layout, which \`lspci -F FILE -vvv\` decodes; --format json adds which
capabilities are shown or hidden and why.

${deviceHelp}
  --format F      lspci (default) or json
`,
  run(args, io) {
    const { values } = parseArgs({ args, options: { ...deviceOptions, format: { type: "string", default: "lspci" } } });
    if (values.format !== "lspci" && values.format !== "json") throw new UsageError(`--format must be lspci or json, not '${values.format}'`);
    const opened = openDevice(values.device ?? DEFAULT_EXAMPLE, { rules: values.rules });
    const bytes = guestView(opened.device, opened.host.size);
    if (values.format === "lspci") {
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
          unknown: t.unknown.map((u) => ({ kind: u.found.kind, id: u.found.id, offset: u.found.offset })),
          bars: t.bars.map((b) => ({ index: b.index, kind: b.kind, size: b.size })),
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
