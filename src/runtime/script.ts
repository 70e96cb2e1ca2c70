// Access scripts: one guest access a line, `r OFFSET SIZE` or
// `w OFFSET SIZE VALUE`; numbers in hex (0x..) or decimal; `#` starts a comment.
// `replay` also reads setpci commands and QEMU's vfio config trace lines
// (parseReplayScript, below).
import { DiagnosticList, error, type Diagnostic, SourceFile, spanOfLine } from "../diag/diagnostic.js";

export type Access =
  | { readonly kind: "r"; readonly offset: number; readonly size: number; readonly line: number }
  | {
      readonly kind: "w";
      readonly offset: number;
      readonly size: number;
      readonly value: number;
      readonly line: number;
      /** setpci's VALUE:MASK: only these bits change; the rest are read first and written back. */
      readonly mask?: number;
    };

const NUMBER = /^(?:0x[0-9a-fA-F]+|[0-9]+)$/;

export function parseAccessScript(path: string, text: string): Access[] {
  const source = new SourceFile(path, text);
  const ds = new DiagnosticList();
  const out: Access[] = [];
  text.split("\n").forEach((raw, i) => {
    const code = raw.replace(/#.*/, "").replace(/\r$/, "");
    if (code.trim() !== "") parseOwnLine(source, i + 1, code, out, ds);
  });
  ds.throwIfAny();
  return out;
}

/** One line of our own syntax (comment already stripped, not blank). */
function parseOwnLine(source: SourceFile, line: number, code: string, out: Access[], ds: DiagnosticList): void {
  const tokens: { text: string; col: number }[] = [];
  for (const m of code.matchAll(/\S+/g)) tokens.push({ text: m[0], col: (m.index ?? 0) + 1 });
  const at = (k: number) => spanOfLine(source, line, tokens[k]?.col ?? code.length + 1, tokens[k]?.text.length ?? 1);
  const op = tokens[0].text;
  if (op !== "r" && op !== "w") {
    ds.push(error("S001", `unknown access \`${op}\``, at(0), "a line is `r OFFSET SIZE` or `w OFFSET SIZE VALUE`"));
    return;
  }
  const want = op === "r" ? 3 : 4;
  if (tokens.length !== want) {
    ds.push(error("S002", `\`${op}\` takes ${want - 1} operands, found ${tokens.length - 1}`, at(Math.min(tokens.length, want) - 1 + (tokens.length < want ? 1 : 0)),
      op === "r" ? "write `r OFFSET SIZE`, e.g. `r 0x04 2`" : "write `w OFFSET SIZE VALUE`, e.g. `w 0x04 2 0x0006`"));
    return;
  }
  const nums: number[] = [];
  for (let k = 1; k < want; k++) {
    const t = tokens[k].text;
    if (!NUMBER.test(t)) {
      ds.push(error("S003", `\`${t}\` is not a number`, at(k), "numbers are hex with 0x, or decimal"));
      return;
    }
    nums.push(Number(t));
  }
  const [offset, size, value] = nums;
  if (offset > 0xfff) {
    ds.push(error("S004", `offset 0x${offset.toString(16)} is past the 4096-byte configuration space`, at(1)));
    return;
  }
  if (size !== 1 && size !== 2 && size !== 4) {
    ds.push(error("S005", `size ${size} is not 1, 2 or 4`, at(2)));
    return;
  }
  if (op === "w") {
    if (value >= 2 ** (size * 8)) {
      ds.push(error("S006", `value 0x${value.toString(16)} does not fit ${size} byte${size > 1 ? "s" : ""}`, at(3)));
      return;
    }
    out.push({ kind: "w", offset, size, value, line });
  } else out.push({ kind: "r", offset, size, line });
}

const hex = (v: number, size: number) => "0x" + (v >>> 0).toString(16).padStart(size * 2, "0");
const offsetHex = (o: number) => "0x" + o.toString(16).padStart(2, "0");

/** Format accesses back into a script that parses to the same accesses. */
export type ScriptAccess =
  | { readonly kind: "r"; readonly offset: number; readonly size: number }
  | { readonly kind: "w"; readonly offset: number; readonly size: number; readonly value: number };

export function formatAccessScript(accesses: readonly ScriptAccess[]): string {
  return accesses
    .map((a) => (a.kind === "r" ? `r ${offsetHex(a.offset)} ${a.size}` : `w ${offsetHex(a.offset)} ${a.size} ${hex(a.value, a.size)}`))
    .join("\n") + "\n";
}

export function formatRead(offset: number, size: number, value: number): string {
  return `r ${offsetHex(offset)} ${size} = ${hex(value, size)}`;
}

// ---- Replay scripts: our syntax, setpci, QEMU vfio trace lines, mixed freely.

/** Where a device's capability with this ID starts, if it has one (first in chain order). */
export type CapabilityLocator = (kind: "capability" | "extended", id: number) => number | undefined;

export interface ReplayScript {
  readonly accesses: Access[];
  /** Run with `--check` semantics: the script says so (a fuzz counterexample, or `# cfgvirt: check`). */
  readonly check: boolean;
}

// setpci's names for the Type 0 header registers, with their natural widths
// (pciutils setpci.c), so `COMMAND=0` writes 2 bytes as setpci would.
const SETPCI_REGISTERS: Readonly<Record<string, readonly [number, 1 | 2 | 4]>> = {
  VENDOR_ID: [0x00, 2], DEVICE_ID: [0x02, 2], COMMAND: [0x04, 2], STATUS: [0x06, 2], REVISION: [0x08, 1],
  CLASS_PROG: [0x09, 1], CLASS_DEVICE: [0x0a, 2], CACHE_LINE_SIZE: [0x0c, 1], LATENCY_TIMER: [0x0d, 1],
  HEADER_TYPE: [0x0e, 1], BIST: [0x0f, 1], BASE_ADDRESS_0: [0x10, 4], BASE_ADDRESS_1: [0x14, 4],
  BASE_ADDRESS_2: [0x18, 4], BASE_ADDRESS_3: [0x1c, 4], BASE_ADDRESS_4: [0x20, 4], BASE_ADDRESS_5: [0x24, 4],
  CARDBUS_CIS: [0x28, 4], SUBSYSTEM_VENDOR_ID: [0x2c, 2], SUBSYSTEM_ID: [0x2e, 2], ROM_ADDRESS: [0x30, 4],
  CAPABILITIES: [0x34, 1], INTERRUPT_LINE: [0x3c, 1], INTERRUPT_PIN: [0x3d, 1], MIN_GNT: [0x3e, 1], MAX_LAT: [0x3f, 1],
};

// setpci's capability names (pciutils setpci.c): CAP_xxx standard, ECAP_xxx extended.
const SETPCI_CAPS: Readonly<Record<string, number>> = {
  PM: 0x01, AGP: 0x02, VPD: 0x03, SLOTID: 0x04, MSI: 0x05, CHSWP: 0x06, PCIX: 0x07, HT: 0x08, VNDR: 0x09,
  DBG: 0x0a, CCRC: 0x0b, HOTPLUG: 0x0c, SSVID: 0x0d, AGP3: 0x0e, SECURE: 0x0f, EXP: 0x10, MSIX: 0x11,
  SATA: 0x12, AF: 0x13, EA: 0x14,
};
const SETPCI_ECAPS: Readonly<Record<string, number>> = {
  AER: 0x01, VC: 0x02, DSN: 0x03, PB: 0x04, RCLINK: 0x05, RCILINK: 0x06, RCEC: 0x07, MFVC: 0x08, VC2: 0x09,
  RBCB: 0x0a, VNDR: 0x0b, ACS: 0x0d, ARI: 0x0e, ATS: 0x0f, SRIOV: 0x10, MRIOV: 0x11, MCAST: 0x12, PRI: 0x13,
  REBAR: 0x15, DPA: 0x16, TPH: 0x17, LTR: 0x18, SECPCI: 0x19, PMUX: 0x1a, PASID: 0x1b, LNR: 0x1c, DPC: 0x1d,
  L1PM: 0x1e, PTM: 0x1f, M_PCIE: 0x20, FRS: 0x21, RTR: 0x22, DVSEC: 0x23, VF_REBAR: 0x24, DLNK: 0x25,
  "16GT": 0x26, LMR: 0x27, HIER_ID: 0x28, NPEM: 0x29, "32GT": 0x2a, DOE: 0x2e, IDE: 0x30,
};

const WIDTH: Readonly<Record<string, 1 | 2 | 4>> = { b: 1, w: 2, l: 4 };

// QEMU hw/vfio/trace-events:
//   vfio_pci_read_config  " (%s, @0x%x, len=0x%x) 0x%x"
//   vfio_pci_write_config " (%s, @0x%x, 0x%x, len=0x%x)"  (later QEMU: "0x%xB" for the length)
// %x prints lowercase, so the `B` after a length is never a digit.
const QEMU_LEN = String.raw`(?:len=(0x[0-9a-fA-F]+)|(0x[0-9a-f]+)B)`;
const QEMU_READ = new RegExp(String.raw`vfio_pci_read_config\s*\(([^,]*),\s*@(0x[0-9a-fA-F]+),\s*${QEMU_LEN}\)\s*(0x[0-9a-fA-F]+)?`);
const QEMU_WRITE = new RegExp(String.raw`vfio_pci_write_config\s*\(([^,]*),\s*@(0x[0-9a-fA-F]+),\s*(0x[0-9a-fA-F]+),\s*${QEMU_LEN}\)`);
/** Any other trace event line (`[PID@TIME:]name (...)`): not a config access, skipped. */
const OTHER_TRACE_EVENT = /^\s*(?:\d+@[\d.]+:)?[a-z][a-z0-9_]*\s*\(/;

/**
 * Parse a replay script: each line is our own `r`/`w` syntax, a setpci command
 * (`COMMAND.w=0`, `0x04.w=0x0547`, `CAP_EXP+8.w`, `ECAP_AER+4.l`, optionally
 * after `setpci -s BDF`), or a QEMU `vfio_pci_read_config`/`vfio_pci_write_config`
 * trace line. setpci numbers are hex, as setpci reads them; capability names
 * are resolved against the device's own chains through `locate`.
 */
export function parseReplayScript(path: string, text: string, locate: CapabilityLocator): ReplayScript {
  const source = new SourceFile(path, text);
  const ds = new DiagnosticList();
  const accesses: Access[] = [];
  let check = false;
  text.split("\n").forEach((raw, i) => {
    const line = i + 1;
    if (/^\s*#\s*(cfgvirt fuzz counterexample|cfgvirt:\s*check\b)/.test(raw)) check = true;
    const code = raw.replace(/#.*/, "").replace(/\r$/, "");
    if (code.trim() === "") return;
    if (/vfio_pci_(read|write)_config/.test(code)) {
      const r = QEMU_READ.exec(code);
      const w = QEMU_WRITE.exec(code);
      const m = r ?? w;
      if (!m) {
        const col = code.indexOf("vfio_pci_") + 1;
        ds.push(error("S007", "cannot read this QEMU trace line", spanOfLine(source, line, col, code.length - col + 1),
          "expected `vfio_pci_read_config (NAME, @0xOFF, len=0xN) 0xVAL` or `vfio_pci_write_config (NAME, @0xOFF, 0xVAL, len=0xN)`"));
        return;
      }
      const offset = Number(m[2]);
      const size = Number(r ? (m[3] ?? m[4]) : (m[4] ?? m[5]));
      const at = spanOfLine(source, line, (m.index ?? 0) + 1, m[0].length);
      const bad = checkAccess(offset, size, r ? undefined : Number(m[3]), at);
      if (bad) ds.push(bad);
      else accesses.push(r ? { kind: "r", offset, size, line } : { kind: "w", offset, size, value: Number(m[3]), line });
      return;
    }
    if (OTHER_TRACE_EVENT.test(code)) return;
    const words = code.trim().split(/\s+/);
    const first = words[0];
    // Our own syntax: `r`/`w`, or any several-word line that is not a setpci command
    // (setpci operations carry `.`, `=` or `+`), so its mistakes get our messages.
    if (first === "r" || first === "w" || (words.length > 1 && first !== "setpci" && !/[.=+]/.test(first))) {
      parseOwnLine(source, line, code, accesses, ds);
      return;
    }
    parseSetpciLine(source, line, code, locate, accesses, ds);
  });
  ds.throwIfAny();
  return { accesses, check };
}

function checkAccess(offset: number, size: number, value: number | undefined, at: ReturnType<typeof spanOfLine>): Diagnostic | undefined {
  if (!Number.isSafeInteger(offset) || offset < 0 || offset > 0xfff) return error("S004", `offset ${offset < 0 ? "-" : ""}0x${Math.abs(offset).toString(16)} is outside the 4096-byte configuration space`, at);
  if (size !== 1 && size !== 2 && size !== 4) return error("S005", `size ${size} is not 1, 2 or 4`, at);
  if (value !== undefined && value >= 2 ** (size * 8)) return error("S006", `value 0x${value.toString(16)} does not fit ${size} byte${size > 1 ? "s" : ""}`, at);
  return undefined;
}

const HEX = /^(?:0x)?[0-9a-fA-F]+$/;

/** One setpci command line: options are skipped, each operation becomes accesses. */
function parseSetpciLine(source: SourceFile, line: number, code: string, locate: CapabilityLocator, out: Access[], ds: DiagnosticList): void {
  const tokens = [...code.matchAll(/\S+/g)].map((m) => ({ text: m[0], col: (m.index ?? 0) + 1 }));
  let k = 0;
  if (tokens[k]?.text === "setpci") k++;
  // setpci's options; -s, -d, -A and -O take an argument (pciutils setpci(8)).
  while (k < tokens.length && tokens[k].text.startsWith("-")) k += /^-[sdAO]$/.test(tokens[k].text) ? 2 : 1;
  if (k >= tokens.length) {
    ds.push(error("S008", "a setpci line with no register", spanOfLine(source, line, 1, code.length), "write e.g. `COMMAND.w=0x0547` or `CAP_EXP+8.w`"));
    return;
  }
  for (; k < tokens.length; k++) {
    const t = tokens[k];
    const at = spanOfLine(source, line, t.col, t.text.length);
    const m = /^([A-Za-z0-9_]+)(?:([+-])([0-9a-fA-Fx]+))?(?:\.([bwlBWL]))?(?:=(.*))?$/.exec(t.text);
    if (!m) {
      ds.push(error("S008", `\`${t.text}\` is not a setpci operation`, at, "setpci operations are REG[+OFF][.b|.w|.l][=VALUE[:MASK][,VALUE...]]"));
      return;
    }
    const [, reg, sign, off, widthLetter, values] = m;
    const base = resolveSetpciRegister(reg, locate);
    if (typeof base === "string") {
      ds.push(error("S009", base, at, "registers are setpci names (COMMAND, STATUS, BASE_ADDRESS_0, ...), hex offsets, or CAP_xxx / ECAP_xxx with +OFF"));
      return;
    }
    if (off !== undefined && !HEX.test(off)) {
      ds.push(error("S003", `\`${off}\` is not a hex number`, at, "setpci numbers are hex"));
      return;
    }
    const offset = base.offset + (off === undefined ? 0 : (sign === "-" ? -1 : 1) * parseInt(off.replace(/^0x/i, ""), 16));
    const size = widthLetter ? WIDTH[widthLetter.toLowerCase()] : base.width;
    if (size === undefined) {
      ds.push(error("S010", `\`${t.text}\` needs a width: .b, .w or .l`, at, "a numeric or capability-relative register has no natural width"));
      return;
    }
    if (values === undefined) {
      const bad = checkAccess(offset, size, undefined, at);
      if (bad) ds.push(bad);
      else out.push({ kind: "r", offset, size, line });
      continue;
    }
    // VALUE[:MASK], several comma-separated values going to consecutive registers.
    const parts = values.split(",");
    for (let n = 0; n < parts.length; n++) {
      const [v, mask] = parts[n].split(":");
      if (!HEX.test(v) || (mask !== undefined && !HEX.test(mask))) {
        ds.push(error("S003", `\`${parts[n]}\` is not a hex VALUE[:MASK]`, at, "setpci values are hex"));
        return;
      }
      const value = parseInt(v.replace(/^0x/i, ""), 16);
      const o = offset + n * size;
      const bad = checkAccess(o, size, value, at);
      if (bad) {
        ds.push(bad);
        return;
      }
      // With a mask, setpci reads, merges under the mask and writes back; replay does the same.
      out.push(mask === undefined ? { kind: "w", offset: o, size, value, line } : { kind: "w", offset: o, size, value, line, mask: parseInt(mask.replace(/^0x/i, ""), 16) });
    }
  }
}

function resolveSetpciRegister(reg: string, locate: CapabilityLocator): { offset: number; width: 1 | 2 | 4 | undefined } | string {
  const upper = reg.toUpperCase();
  const named = SETPCI_REGISTERS[upper];
  if (named) return { offset: named[0], width: named[1] };
  const cap = /^(E?CAP)_?(.+)$/.exec(upper);
  if (cap) {
    const extended = cap[1] === "ECAP";
    const id = (extended ? SETPCI_ECAPS : SETPCI_CAPS)[cap[2]] ?? (HEX.test(cap[2]) ? parseInt(cap[2].replace(/^0X/, ""), 16) : undefined);
    if (id === undefined) return `\`${reg}\` is not a capability setpci knows`;
    const at = locate(extended ? "extended" : "capability", id);
    if (at === undefined) return `the device has no ${extended ? "extended capability" : "capability"} \`${reg}\` (ID 0x${id.toString(16)})`;
    return { offset: at, width: undefined };
  }
  if (HEX.test(reg)) return { offset: parseInt(reg.replace(/^0x/i, ""), 16), width: undefined };
  return `\`${reg}\` is not a register setpci knows`;
}
