import { writeFileSync } from "node:fs";
import { basename } from "node:path";
import { parseArgs } from "node:util";
import { docPath } from "../docs/paths.js";
import { EXPORT_FORMATS, type ExportFormat, exportTables } from "../export/tables.js";
import { type Command, UsageError } from "./command.js";
import { openForVerb } from "./open.js";
import { deviceHelp, deviceOptions } from "./view.js";

export const exportCommand: Command = {
  name: "export",
  summary: "write a device's compiled tables as a C or Rust header, or JSON",
  help: `usage: cfgvirt export [--device FILE] [--format c|rust|json] [--name NAME] [--out FILE] [--rules FILE]...

Writes the device's compiled tables, for a hypervisor written in C or Rust to
embed: per dword of the 4 KiB configuration space the eight masks the runtime
applies (hw_read, virt_read, virt_write, virt_w1c, hw_write, preserve,
hook_bits, denied), the hook number, and the initial virtual state. The
header's comment states the access semantics (those of the table runtime).

${deviceHelp}
  --format F      c (default), rust, or json (--json is --format json)
  --name NAME     identifier stem of the generated names (default: from --device)
  --out FILE      write to FILE instead of stdout
`,
  run(args, io) {
    const { values, positionals } = parseArgs({
      args,
      allowPositionals: true,
      options: { ...deviceOptions, format: { type: "string" }, name: { type: "string" }, out: { type: "string" } },
    });
    if (positionals.length) throw new UsageError(`unexpected argument '${positionals[0]}'`);
    const format = (values.json ? "json" : values.format ?? "c") as ExportFormat;
    if (!EXPORT_FORMATS.includes(format)) throw new UsageError(`--format must be ${EXPORT_FORMATS.join(", ")}, not '${values.format}'`);
    const { opened, stop } = openForVerb(values, io);
    if (stop !== undefined) return stop;
    const name = values.name ?? basename(opened.source.path).replace(/\.[^.]*$/, "");
    // Package paths print relative to the package, so the output does not depend on where it is installed.
    const text = exportTables({ name, device: docPath(opened.source.path), tables: opened.tables }, format);
    if (values.out) {
      writeFileSync(values.out, text);
      io.err(`wrote ${values.out} (${Buffer.byteLength(text)} bytes)\n`);
    } else io.out(text);
    return 0;
  },
};
