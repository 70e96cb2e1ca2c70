import { parseArgs } from "node:util";
import { formatLspciDump } from "../host/dump.js";
import { readTextInput } from "../io/input.js";
import { DEFAULT_EXAMPLE, openDevice } from "../open-device.js";
import { formatRead, parseAccessScript } from "../runtime/script.js";
import { type Command, UsageError } from "./command.js";
import { deviceHelp, deviceOptions, parseBarOptions, selectionOf } from "./view.js";

export const replayCommand: Command = {
  name: "replay",
  summary: "run a guest access script against a device",
  help: `usage: cfgvirt replay [--device FILE] SCRIPT [--host] [--rules FILE]...

Runs SCRIPT, one guest access a line:
  r OFFSET SIZE          read SIZE (1, 2, 4) bytes at OFFSET
  w OFFSET SIZE VALUE    write VALUE
Numbers are hex with 0x, or decimal; # starts a comment. Prints one line per
read, e.g. \`r 0x04 2 = 0x0547\`. With --host, then prints the host device's
configuration space after the script, in the lspci -xxxx layout.

${deviceHelp}
  --host          print the host's configuration space after the script
`,
  run(args, io) {
    const { values, positionals } = parseArgs({ args, allowPositionals: true, options: { ...deviceOptions, host: { type: "boolean" } } });
    if (positionals.length !== 1) throw new UsageError(positionals.length === 0 ? "missing SCRIPT" : "give exactly one SCRIPT");
    const scriptPath = positionals[0];
    const accesses = parseAccessScript(scriptPath, readTextInput(scriptPath, "script"));
    const logLines: string[] = [];
    const opened = openDevice(values.device ?? DEFAULT_EXAMPLE, { rules: values.rules, log: (l) => logLines.push(l), ...selectionOf(values), ...parseBarOptions(values.bar) });
    const out: string[] = [];
    for (const a of accesses) {
      if (a.kind === "r") out.push(formatRead(a.offset, a.size, opened.device.read(a.offset, a.size)));
      else opened.device.write(a.offset, a.size, a.value);
    }
    io.out(out.map((l) => l + "\n").join(""));
    for (const l of logLines) io.err(`log: ${l}\n`);
    if (values.host) io.out(formatLspciDump(opened.host.bytes(), opened.source.title));
    return 0;
  },
};
