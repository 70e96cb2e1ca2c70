import { parseArgs } from "node:util";
import { checkInvariants, compareState, type DevicePair, openPair } from "../fuzz/harness.js";
import { formatLspciDump } from "../host/dump.js";
import { readTextInput } from "../io/input.js";
import { DEFAULT_EXAMPLE, type OpenedDevice } from "../open-device.js";
import { type Access, formatRead, parseReplayScript } from "../runtime/script.js";
import { type Command, EXIT, UsageError } from "./command.js";
import { openForVerb, ruleFiles } from "./open.js";
import { deviceHelp, deviceOptions, parseBarOptions, selectionOf } from "./view.js";
import { reportWarnings, warningsFor } from "./warnings.js";

const hex = (v: number, digits: number) => "0x" + (v >>> 0).toString(16).padStart(digits, "0");

export const replayCommand: Command = {
  name: "replay",
  summary: "run guest accesses (own syntax, setpci, QEMU vfio traces) against a device",
  help: `usage: cfgvirt replay [--device FILE] SCRIPT [--host] [--check] [--json] [--rules FILE]...

Runs SCRIPT, one guest access a line, in any mix of three forms:
  r OFFSET SIZE          read SIZE (1, 2, 4) bytes at OFFSET
  w OFFSET SIZE VALUE    write VALUE (numbers hex with 0x, or decimal)
  setpci operations      COMMAND.w=0  0x04.w=0x0547  CAP_EXP+8.w  ECAP_AER+4.l=0:1
                         (numbers hex, as setpci reads them; REG without = reads;
                         CAP_xxx/ECAP_xxx resolve against the device's chains;
                         a leading \`setpci -s BDF\` is skipped)
  QEMU trace lines       vfio_pci_read_config (0000:01:00.0, @0x4, len=0x2) 0x547
                         vfio_pci_write_config (0000:01:00.0, @0x4, 0x547, len=0x2)
SCRIPT - reads standard input. # starts a comment. Prints one line per read,
e.g. \`r 0x04 2 = 0x0547\`. With --host, then prints the host device's
configuration space after the script, in the lspci -xxxx layout.

With --check, runs the reference interpreter (src/fuzz/reference.ts) beside the
tables and stops at the first access where they disagree, exit status 1. A
script \`cfgvirt fuzz\` wrote (or one with a \`# cfgvirt: check\` line) is checked
without --check.

${deviceHelp}
  --host          print the host's configuration space after the script
  --check         compare every access with the reference interpreter
`,
  run(args, io) {
    const { values, positionals } = parseArgs({ args, allowPositionals: true, options: { ...deviceOptions, host: { type: "boolean" }, check: { type: "boolean" } } });
    if (positionals.length !== 1) throw new UsageError(positionals.length === 0 ? "missing SCRIPT" : "give exactly one SCRIPT");
    const scriptPath = positionals[0];
    const text = readTextInput(scriptPath, "script");
    const logLines: string[] = [];
    const log = (l: string) => logLines.push(l);
    // Without --check the device opens once; whether the script asks for a
    // check is known only after parsing, which needs the device's chains.
    let pair: DevicePair | undefined;
    let opened: OpenedDevice;
    if (values.check || /^\s*#\s*(cfgvirt fuzz counterexample|cfgvirt:\s*check\b)/m.test(text)) {
      const opts = { rules: ruleFiles(values.rules), log, ...selectionOf(values), ...(values.bar ? parseBarOptions(values.bar) : {}) };
      pair = openPair(values.device ?? DEFAULT_EXAMPLE, opts);
      opened = pair.table;
      const stop = reportWarnings(io, warningsFor(opened, opts), values["deny-warnings"]);
      if (stop !== undefined) return stop;
    } else {
      const r = openForVerb(values, io, { log });
      if (r.stop !== undefined) return r.stop;
      opened = r.opened;
    }
    const { tables } = opened;
    const locate = (kind: "capability" | "extended", id: number) =>
      tables.placed.find((p) => p.template.kind === kind && p.template.id === id)?.offset ??
      tables.unknown.find((u) => u.found.kind === kind && u.found.id === id)?.found.offset;
    const script = parseReplayScript(scriptPath, text, locate);

    const reads: { line: number; offset: number; size: number; value: number }[] = [];
    let disagreement: { line: number; access: string; message: string } | undefined;
    for (const a of script.accesses) {
      const message = pair ? step(pair, a, reads) : run1(opened, a, reads);
      if (message) {
        disagreement = { line: a.line, access: describe(a), message };
        break;
      }
    }
    if (values.json) {
      const out: Record<string, unknown> = { device: opened.source.path, script: scriptPath, checked: pair !== undefined, accesses: script.accesses.length, reads };
      if (pair) out.disagreement = disagreement ?? null;
      if (values.host) out.host = Buffer.from(opened.host.bytes()).toString("hex");
      out.log = logLines;
      io.out(JSON.stringify(out, null, 2) + "\n");
    } else {
      io.out(reads.map((r) => formatRead(r.offset, r.size, r.value) + "\n").join(""));
      for (const l of logLines) io.err(`log: ${l}\n`);
      if (pair) {
        io.out(disagreement
          ? `check: DISAGREEMENT at ${scriptPath}:${disagreement.line} (${disagreement.access}): ${disagreement.message}\n`
          : `check: the table runtime and the reference agree on all ${script.accesses.length} accesses\n`);
      }
      if (values.host) io.out(formatLspciDump(opened.host.bytes(), opened.source.title));
    }
    return disagreement ? EXIT.findings : EXIT.ok;
  },
};

function describe(a: Access): string {
  return a.kind === "r" ? `r ${hex(a.offset, 2)} ${a.size}` : `w ${hex(a.offset, 2)} ${a.size} ${hex(a.value, a.size * 2)}`;
}

/** setpci's VALUE:MASK merges into what the register reads. */
const merged = (a: Access & { kind: "w" }, old: number) => (a.mask === undefined ? a.value : ((old & ~a.mask) | (a.value & a.mask)) >>> 0);

/** One access through the tables alone; nothing to disagree with. */
function run1(opened: OpenedDevice, a: Access, reads: { line: number; offset: number; size: number; value: number }[]): undefined {
  const dev = opened.device;
  if (a.kind === "r") reads.push({ line: a.line, offset: a.offset, size: a.size, value: dev.read(a.offset, a.size) });
  else dev.write(a.offset, a.size, merged(a, a.mask === undefined ? 0 : dev.read(a.offset, a.size)));
  return undefined;
}

/** One access through both implementations; the disagreement, if any. */
function step(pair: DevicePair, a: Access, reads: { line: number; offset: number; size: number; value: number }[]): string | undefined {
  const dev = pair.table.device;
  if (a.kind === "r" || a.mask !== undefined) {
    const got = dev.read(a.offset, a.size);
    const want = pair.ref.read(a.offset, a.size);
    if (a.kind === "r") reads.push({ line: a.line, offset: a.offset, size: a.size, value: got });
    if (got !== want) return `read ${hex(got, a.size * 2)} from the tables, ${hex(want, a.size * 2)} from the reference`;
    if (a.kind === "r") return undefined;
  }
  if (a.kind === "w") {
    const value = merged(a, a.mask === undefined ? 0 : dev.read(a.offset, a.size));
    dev.write(a.offset, a.size, value);
    pair.ref.write(a.offset, a.size, value);
  }
  const m = compareState(pair, 0) ?? checkInvariants(pair, 0);
  return m?.message;
}
