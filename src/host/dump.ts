// Configuration dumps in and out: `lspci -x`, `-xxx`, `-xxxx` text (also with
// `-v`/`-vvv` details, and several devices to pick from with lspci's `-s` and
// `-d`) and raw binary `config` files (sysfs).
import { CfgvirtError, DiagnosticList, error, SourceFile, spanOfLine } from "../diag/diagnostic.js";
import { decodeText, readInput } from "../io/input.js";

export interface ConfigDump {
  /** 64, 256 or 4096 bytes. */
  readonly bytes: Uint8Array;
  /** The device line above the hex rows, when the dump has one. */
  readonly title: string | undefined;
  readonly path: string;
  /** BAR and ROM sizes the input states (`lspci -v`'s `[size=...]`, sysfs `resource`), and where they came from. */
  readonly sizes?: InputSizes;
}

/** Sizes an input carries, by BAR index (undefined where it says nothing). */
export interface InputSizes {
  readonly bars: readonly (number | undefined)[];
  readonly rom?: number;
  readonly source: string;
}

/** Which device of a multi-device dump: lspci's `-s` and `-d` filters. */
export interface DumpSelection {
  /** `[[[[DOMAIN]:]BUS]:][SLOT][.[FUNC]]` */
  readonly slot?: string;
  /** `[VENDOR]:[DEVICE][:CLASS]` */
  readonly id?: string;
}

const VALID_SIZES = [64, 256, 4096];
const SLOT = /^(?:([0-9a-fA-F]{4,}):)?([0-9a-fA-F]{2}):([0-9a-fA-F]{2})\.([0-7])\b/;
const ROW = /^([0-9a-fA-F]{1,3}):((?:\s+[0-9a-fA-F]{2})*)\s*$/;
// `lspci -v` detail lines of the device itself (one tab), not of a capability (two).
const SIZE_LINE = /^\t(?:Region ([0-5])|(Expansion ROM))\b.*\[size=(\d+)([KMGT]?)\]/;
const SIZE_UNIT: Readonly<Record<string, number>> = { "": 1, K: 2 ** 10, M: 2 ** 20, G: 2 ** 30, T: 2 ** 40 };

interface Address {
  readonly domain: number;
  readonly bus: number;
  readonly slot: number;
  readonly func: number;
}

/** One device's part of a dump, while it is read. */
interface Block {
  readonly title: string | undefined;
  readonly titleLine: number;
  readonly address: Address | undefined;
  readonly bytes: Uint8Array;
  next: number;
  lastLine: number;
  readonly bars: (number | undefined)[];
  rom: number | undefined;
  sized: boolean;
}

function addressOf(title: string): Address | undefined {
  const m = SLOT.exec(title);
  return m ? { domain: parseInt(m[1] ?? "0", 16), bus: parseInt(m[2], 16), slot: parseInt(m[3], 16), func: parseInt(m[4], 16) } : undefined;
}

function newBlock(title: string | undefined, line: number): Block {
  return { title, titleLine: line, address: title ? addressOf(title) : undefined, bytes: new Uint8Array(4096), next: 0, lastLine: line, bars: [], rom: undefined, sized: false };
}

/** Every device in `lspci -x/-xxx/-xxxx` text, with or without `-v`/`-vv`/`-vvv` details. Errors name the line. */
export function parseLspciDumps(path: string, text: string): ConfigDump[] {
  const source = new SourceFile(path, text);
  const ds = new DiagnosticList();
  const lines = text.split("\n");
  const blocks: Block[] = [];
  let block: Block | undefined;
  let broken = false;
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i].replace(/\r$/, "");
    const n = i + 1;
    if (line.trim() === "") continue;
    if (SLOT.test(line)) {
      block = newBlock(line, n);
      blocks.push(block);
      broken = false;
      continue;
    }
    if (block?.title !== undefined && /^\s/.test(line)) {
      // A `-v` detail line: only the device's own region sizes matter here.
      const m = SIZE_LINE.exec(line);
      if (m) {
        const size = Number(m[3]) * SIZE_UNIT[m[4]];
        if (m[2]) block.rom = size;
        else block.bars[Number(m[1])] = size;
        block.sized = true;
      }
      continue;
    }
    const m = ROW.exec(line);
    if (!m) {
      ds.push(error("D001", "not a row of a configuration dump", spanOfLine(source, n, 1, line.length),
        "rows look like `00: 86 80 c9 10 07 04 10 00 01 00 00 02 10 00 80 00`"));
      continue;
    }
    if (broken) continue;
    if (!block) {
      block = newBlock(undefined, n);
      blocks.push(block);
    }
    const offset = parseInt(m[1], 16);
    const hex = m[2].trim().split(/\s+/);
    if (offset !== block.next) {
      ds.push(error("D002", `row at offset 0x${offset.toString(16)} where 0x${block.next.toString(16)} was expected`, spanOfLine(source, n, 1, m[1].length),
        "rows must be consecutive, 16 bytes each, starting at 00"));
      broken = true;
      continue;
    }
    if (hex.length !== 16) {
      const col = line.indexOf(":") + 3;
      ds.push(error("D003", `row holds ${hex.length} bytes; a row holds 16`, spanOfLine(source, n, col, Math.max(1, line.length - col + 1))));
      broken = true;
      continue;
    }
    if (offset >= 4096) {
      ds.push(error("D002", "row past the 4096-byte configuration space", spanOfLine(source, n, 1, m[1].length)));
      broken = true;
      continue;
    }
    hex.forEach((h, k) => (block!.bytes[offset + k] = parseInt(h, 16)));
    block.next += 16;
    block.lastLine = n;
  }
  if (ds.length === 0) {
    if (blocks.length === 0) {
      ds.push(error("D005", "the dump holds no rows", spanOfLine(source, 1), "capture with `lspci -x` (64 bytes), `-xxx` (256) or `-xxxx` (4096)"));
    }
    for (const b of blocks) {
      if (VALID_SIZES.includes(b.next)) continue;
      ds.push(error("D005", `dump holds ${b.next} bytes${b.title ? ` for ${b.title.split(" ")[0]}` : ""}; expected 64, 256 or 4096`, spanOfLine(source, Math.max(1, b.next ? b.lastLine : b.titleLine)),
        "capture with `lspci -x` (64 bytes), `-xxx` (256) or `-xxxx` (4096)"));
    }
  }
  ds.throwIfAny();
  return blocks.map((b) => ({
    bytes: b.bytes.slice(0, b.next),
    title: b.title,
    path,
    ...(b.sized ? { sizes: { bars: b.bars, rom: b.rom, source: "lspci [size=] lines" } } : {}),
  }));
}

const HEX = /^[0-9a-fA-F]+$/;

/** lspci's `-s` syntax; undefined fields match anything. */
function parseSlotFilter(spec: string): Partial<Address> {
  const bad = (why: string): never => {
    throw new CfgvirtError([error("D006", `-s ${spec}: ${why}`, undefined, "write -s [[[[DOMAIN]:]BUS]:][SLOT][.[FUNC]], in hex, as lspci does, e.g. -s 00:03.0")]);
  };
  const field = (text: string | undefined, max: number, name: string): number | undefined => {
    if (text === undefined || text === "" || text === "*") return undefined;
    if (!HEX.test(text) || parseInt(text, 16) > max) bad(`invalid ${name} \`${text}\``);
    return parseInt(text, 16);
  };
  let rest = spec;
  let domain: string | undefined;
  let bus: string | undefined;
  const colon = rest.lastIndexOf(":");
  if (colon >= 0) {
    const head = rest.slice(0, colon);
    rest = rest.slice(colon + 1);
    const c2 = head.indexOf(":");
    if (c2 >= 0) {
      domain = head.slice(0, c2);
      bus = head.slice(c2 + 1);
    } else bus = head;
  }
  const dot = rest.indexOf(".");
  const slot = dot >= 0 ? rest.slice(0, dot) : rest;
  const func = dot >= 0 ? rest.slice(dot + 1) : undefined;
  return { domain: field(domain, 0x7fffffff, "domain"), bus: field(bus, 0xff, "bus"), slot: field(slot, 0x1f, "slot"), func: field(func, 7, "function") };
}

/** lspci's `-d` syntax. */
function parseIdFilter(spec: string): { vendor?: number; device?: number; classCode?: number } {
  const bad = (why: string): never => {
    throw new CfgvirtError([error("D006", `-d ${spec}: ${why}`, undefined, "write -d [VENDOR]:[DEVICE][:CLASS], in hex, as lspci does, e.g. -d 8086:10c9")]);
  };
  const parts = spec.split(":");
  if (parts.length < 2 || parts.length > 3) bad("expected VENDOR:DEVICE");
  const field = (text: string | undefined, name: string): number | undefined => {
    if (text === undefined || text === "" || text === "*") return undefined;
    if (!HEX.test(text) || text.length > 4) bad(`invalid ${name} \`${text}\``);
    return parseInt(text, 16);
  };
  return { vendor: field(parts[0], "vendor"), device: field(parts[1], "device"), classCode: field(parts[2], "class") };
}

const u16 = (b: Uint8Array, o: number) => b[o] | (b[o + 1] << 8);

/** The devices a selection picks; with no selection, all of them. */
export function selectDumps(dumps: readonly ConfigDump[], select: DumpSelection): ConfigDump[] {
  const slot = select.slot === undefined ? undefined : parseSlotFilter(select.slot);
  const id = select.id === undefined ? undefined : parseIdFilter(select.id);
  return dumps.filter((d) => {
    if (slot) {
      const a = d.title ? addressOf(d.title) : undefined;
      if (!a) return false;
      for (const k of ["domain", "bus", "slot", "func"] as const) if (slot[k] !== undefined && slot[k] !== a[k]) return false;
    }
    if (id) {
      if (id.vendor !== undefined && id.vendor !== u16(d.bytes, 0)) return false;
      if (id.device !== undefined && id.device !== u16(d.bytes, 2)) return false;
      if (id.classCode !== undefined && id.classCode !== u16(d.bytes, 0x0a)) return false;
    }
    return true;
  });
}

const describeSelection = (s: DumpSelection) => [s.slot !== undefined ? `-s ${s.slot}` : "", s.id !== undefined ? `-d ${s.id}` : ""].filter(Boolean).join(" ");
const nameOf = (d: ConfigDump) => d.title?.split(" ")[0] ?? "(untitled)";

/**
 * Parse `lspci -x/-xxx/-xxxx` text (with or without `-v` details) and pick one
 * device: the only one, or the one `-s`/`-d` selects. Errors name the line.
 */
export function parseLspciDump(path: string, text: string, select: DumpSelection = {}): ConfigDump {
  const all = parseLspciDumps(path, text);
  const picked = selectDumps(all, select);
  if (picked.length === 1) return picked[0];
  const list = all.map(nameOf).join(", ");
  if (picked.length === 0) {
    throw new CfgvirtError([error("D007", `no device in ${path} matches ${describeSelection(select)}`, spanOfLine(new SourceFile(path, text), 1), `the dump holds ${list}`)]);
  }
  const second = picked[1].title ? text.split("\n").findIndex((l) => l.replace(/\r$/, "") === picked[1].title) + 1 : 0;
  const source = new SourceFile(path, text);
  throw new CfgvirtError([error("D004", `the dump holds ${picked.length} devices${describeSelection(select) ? ` matching ${describeSelection(select)}` : ""} (${picked.map(nameOf).join(", ")}); a second device starts here`,
    second > 0 ? spanOfLine(source, second, 1, picked[1].title!.length) : undefined,
    `pick one with -s SLOT (e.g. -s ${nameOf(picked[0])}) or -d VENDOR:DEVICE, as lspci does`)]);
}

/** A raw binary configuration file, as sysfs `config` gives it. */
export function parseBinaryConfig(path: string, data: Uint8Array): ConfigDump {
  if (!VALID_SIZES.includes(data.length)) {
    throw new CfgvirtError([error("D005", `${path}: binary config file of ${data.length} bytes; expected 64, 256 or 4096`)]);
  }
  return { bytes: Uint8Array.from(data), title: undefined, path };
}

const utf8 = new TextDecoder("utf-8", { fatal: true });

/**
 * Binary when it is not text: a NUL or control character, or bytes that are not
 * UTF-8. A title in UTF-8 (a vendor name with an accent) or a byte-order mark is text.
 */
export function looksBinary(data: Uint8Array): boolean {
  // An index loop: `for...of` over a typed array runs ~20 ms on a 20 KB dump before the JIT warms up.
  for (let i = 0; i < data.length; i++) {
    const b = data[i];
    if (b < 9 || (b > 13 && b < 32) || b === 0x7f) return true;
  }
  try {
    utf8.decode(data);
    return false;
  } catch {
    return true;
  }
}

/** A dump given as bytes (a file, standard input, a pipe): binary or text. */
export function parseConfigData(path: string, data: Uint8Array, select: DumpSelection = {}): ConfigDump {
  if (data.length === 0) {
    throw new CfgvirtError([error("D005", `${path}: the input is empty`, undefined, "give an lspci -x/-xxx/-xxxx dump or a binary config file")]);
  }
  if (looksBinary(data)) {
    const dump = parseBinaryConfig(path, data);
    if (select.slot !== undefined) {
      throw new CfgvirtError([error("D007", `${path} is a binary config file: it holds one device and no address for -s`, undefined, "-s selects among the devices of an lspci dump")]);
    }
    if (select.id !== undefined && selectDumps([dump], { id: select.id }).length === 0) {
      throw new CfgvirtError([error("D007", `the device in ${path} does not match -d ${select.id}`)]);
    }
    return dump;
  }
  return parseLspciDump(path, decodeText(data), select);
}

export function readConfigFile(path: string, select: DumpSelection = {}): ConfigDump {
  return parseConfigData(path, readInput(path, "device"), select);
}

const hex2 = (b: number) => b.toString(16).padStart(2, "0");

/** Write bytes in the `lspci -xxxx` layout, which `lspci -F` reads back. */
export function formatLspciDump(bytes: Uint8Array, title: string): string {
  const out = [title];
  for (let off = 0; off < bytes.length; off += 16) {
    const row = Array.from(bytes.subarray(off, off + 16), hex2).join(" ");
    out.push(`${off.toString(16).padStart(2, "0")}: ${row}`);
  }
  return out.join("\n") + "\n";
}
