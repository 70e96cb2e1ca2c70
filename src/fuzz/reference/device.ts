// The reference interpreter: a second, deliberately simple implementation of
// the guest's view of a device, the oracle for the property-based tests and the
// benchmark's baseline.
//
// It shares no code with the table path it checks: it imports only the rule
// AST and the diagnostics (test/fuzz/import-rules.test.ts enforces this), and
// has its own capability-chain walker (chains.ts), its own reading of device
// files (device-file.ts) and its own hook semantics (hooks.ts). At attach it
// places layouts, evaluates `when` guards against the hardware once, sizes the
// BARs, and computes the initial virtual values (state, not masks). Every
// access then finds, for each byte, the register of the AST that covers it
// (from a map of the placed layouts' registers, made by walking them once),
// and for each bit the field, and applies that field's attribute and policy
// (after the device file's overrides). What does not depend on state (a byte's
// owner, a bit's rule, a dword's hook) is worked out on first use and
// remembered: the interpretation stays bit by bit.
//
// Semantics (the README's "Runtime semantics"):
// - pass: the guest reads the hardware bit; emulate/trap/hide: the virtual bit.
// - a guest write sets an emulated/trapped RW/RWS bit, clears an RW1C/RW1CS bit
//   written 1; hidden bits ignore writes.
// - hardware writes go byte by byte: a byte reaches the host only when it holds
//   a passed-through writable bit; in it passed writable bits carry the guest's
//   value, RW1C/RW1CS and RsvdZ bits the guest does not own are written 0, every
//   other bit as the hardware holds it.
// - odd accesses: bad size or offset -> all-ones read / dropped write; an access
//   crossing a dword is split into bytes; bytes past 4095 read 0xff.
import { CfgvirtError, error } from "../../diag/diagnostic.js";
import type * as A from "../../syntax/ast.js";
import { capabilityChains } from "./chains.js";
import { type DeviceFileMeaning, meaningOf, pickDeviceFile } from "./device-file.js";
import { advertisesReset, type HookCall, serveVpd, startsReset } from "./hooks.js";
import { type HardwareFacts, hostByte, type ReferenceHost } from "./host.js";

export type { HookCall } from "./hooks.js";
export type { HardwareFacts, ReferenceHost } from "./host.js";

/** The rules as parsed: every layout and device file, in load order. */
export interface ReferenceRules {
  readonly layouts: readonly A.Layout[];
  readonly devices: readonly A.Device[];
}

/** How a spec attribute behaves when written. */
type Behaviour = "write" | "w1c" | "readonly" | "rsvdp" | "rsvdz";
function behaviourOf(a: A.Attribute): Behaviour {
  if (a === "RW" || a === "RWS") return "write";
  if (a === "RW1C" || a === "RW1CS") return "w1c";
  if (a === "RsvdP") return "rsvdp";
  if (a === "RsvdZ") return "rsvdz";
  return "readonly";
}

/** What governs one bit, for the guest. */
export interface BitRule {
  /** Where the rule comes from, e.g. `msi.control.enable`, `default deny`. */
  readonly what: string;
  /** pass: the guest reads the hardware; virtual: the shadow. */
  readonly view: "pass" | "virtual";
  /** How a guest write changes the virtual bit. */
  readonly guestWrite: "set" | "clear-on-1" | "ignore";
  /** A passed-through writable bit: the guest's value goes to the hardware. */
  readonly toHardware: boolean;
  /** Written 0 when its byte goes to the hardware (RW1C/RsvdZ the guest does not own); else as read. */
  readonly zeroOnHardwareWrite: boolean;
  /** The guest always reads the initial (constant) value: hide, default deny, past the device. */
  readonly hidden: boolean;
  readonly hook: string | undefined;
}

export interface ReferenceOptions {
  /** The device file to apply, instead of the one that matches the device (fuzzed policies). */
  readonly device?: A.Device;
  /** BAR sizes that win over everything (the command line). */
  readonly barSizes?: readonly (number | undefined)[];
  readonly romSize?: number;
  /** Sizes the input carries (sysfs resource, lspci [size=] lines, an example image): below the device file's. */
  readonly inputSizes?: { readonly bars: readonly (number | undefined)[]; readonly rom?: number };
  readonly allowBridge?: boolean;
  /** VPD contents behind the VPD capability; reads past the end return 0xff. */
  readonly vpd?: Uint8Array;
}

const DENY: BitRule = { what: "default deny", view: "virtual", guestWrite: "ignore", toHardware: false, zeroOnHardwareWrite: false, hidden: true, hook: undefined };
const ABSENT: BitRule = { what: "past the device's configuration space", view: "virtual", guestWrite: "ignore", toHardware: false, zeroOnHardwareWrite: false, hidden: true, hook: undefined };
const PERMISSIVE: BitRule = { what: "permissive", view: "pass", guestWrite: "ignore", toHardware: true, zeroOnHardwareWrite: false, hidden: false, hook: undefined };

/** HwInit, or RO marked `const`: the field cannot change by itself. */
const constantField = (attribute: A.Attribute, constant: unknown): boolean => attribute === "HwInit" || (attribute === "RO" && constant !== undefined);

/** `pass` of a constant field reads the value the device had at attach, never the host again. */
const SNAPSHOT = (what: string): BitRule => ({ what, view: "virtual", guestWrite: "ignore", toHardware: false, zeroOnHardwareWrite: false, hidden: false, hook: undefined });

function ruleFor(what: string, attribute: A.Attribute, policy: A.Policy, constant?: unknown): BitRule {
  const b = behaviourOf(attribute);
  const writes = b === "write" || b === "w1c";
  if (policy.kind === "pass" && policy.readOnly !== true && constantField(attribute, constant)) return SNAPSHOT(what);
  if (policy.kind === "pass") {
    // pass(read): the guest's writes never reach these bits; a write-back of the dword leaves them (0 to an RW1C bit).
    const toHardware = writes && policy.readOnly !== true;
    return { what, view: "pass", guestWrite: "ignore", toHardware, zeroOnHardwareWrite: (!writes && b === "rsvdz") || (!toHardware && b === "w1c"), hidden: false, hook: undefined };
  }
  const emulated = policy.kind === "emulate" || policy.kind === "trap";
  return {
    what,
    view: "virtual",
    guestWrite: !emulated ? "ignore" : b === "write" ? "set" : b === "w1c" ? "clear-on-1" : "ignore",
    toHardware: false,
    zeroOnHardwareWrite: b === "w1c" || b === "rsvdz",
    hidden: policy.kind === "hide",
    hook: policy.kind === "trap" ? policy.hook.name : undefined,
  };
}

const bitOf = (value: number, i: number): number => Math.floor(value / 2 ** i) % 2;

/** Registers of a layout in document order (then-arms before else-arms), with no guard evaluated. */
function allRegisters(body: readonly A.LayoutStmt[]): A.Register[] {
  const out: A.Register[] = [];
  for (const s of body) {
    if (s.kind === "register") out.push(s);
    else out.push(...allRegisters(s.then), ...allRegisters(s.otherwise));
  }
  return out;
}

/**
 * Where a layout sits on the device, and how to find the others there: a
 * guard or size may read LAYOUT.REGISTER.FIELD of another capability.
 */
interface Site {
  readonly host: ReferenceHost;
  readonly base: number;
  readonly find: (name: string) => { layout: A.Layout; base: number } | undefined;
}

/** The value of [LAYOUT.]REGISTER.FIELD as the hardware holds it; undefined when that layout is absent. */
function hardwareField(layout: A.Layout, path: A.FieldPath, at: Site): number | undefined {
  const names = path.parts.map((p) => p.name);
  let owner = layout;
  let base = at.base;
  if (names.length === 3) {
    if (names[0] !== layout.name.name) {
      const other = at.find(names[0]);
      if (!other) return undefined;
      owner = other.layout;
      base = other.base;
    }
    names.shift();
  }
  const [regName, fieldName] = names;
  const reg = allRegisters(owner.body).find((r) => r.name.name === regName)!;
  const field = reg.fields.find((f) => f.name === fieldName)!;
  const abs = base + reg.offset.value;
  const dword = at.host.read32(abs >> 2) >>> ((abs & 3) * 8);
  let v = 0;
  for (let i = field.hi; i >= field.lo; i--) v = v * 2 + ((dword >>> i) & 1);
  return v;
}

function guardHolds(g: A.Guard, layout: A.Layout, at: Site): boolean {
  switch (g.kind) {
    case "not":
      return !guardHolds(g.operand, layout, at);
    case "and":
      return g.operands.every((o) => guardHolds(o, layout, at));
    case "or":
      return g.operands.some((o) => guardHolds(o, layout, at));
    case "compare": {
      const v = hardwareField(layout, g.path, at);
      if (v === undefined) return false;
      switch (g.op) {
        case "nonzero": return v !== 0;
        case "==": return v === g.value;
        case "!=": return v !== g.value;
        case ">=": return v >= g.value;
        case "<=": return v <= g.value;
        case ">": return v > g.value;
        case "<": return v < g.value;
      }
    }
  }
}

/** The registers present on this device: `when` guards evaluated against the hardware. */
function presentRegisters(body: readonly A.LayoutStmt[], layout: A.Layout, at: Site): A.Register[] {
  const out: A.Register[] = [];
  for (const s of body) {
    if (s.kind === "register") out.push(s);
    else if (guardHolds(s.guard, layout, at)) out.push(...presentRegisters(s.then, layout, at));
    else out.push(...presentRegisters(s.otherwise, layout, at));
  }
  return out;
}

/** Bytes a capability spans on this device. */
function layoutSize(layout: A.Layout, at: Site): number {
  if (layout.layoutKind === "header") return 64;
  if (layout.size && "value" in layout.size) return layout.size.value;
  if (layout.size) {
    let minimum = 0;
    for (const s of layout.body) if (s.kind === "register") minimum = Math.max(minimum, s.offset.value + s.width / 8);
    const v = hardwareField(layout, layout.size.path, at);
    return v === undefined ? minimum : Math.max(minimum, v * layout.size.scale + layout.size.add);
  }
  let end = 0;
  for (const r of presentRegisters(layout.body, layout, at)) end = Math.max(end, (Math.floor(r.offset.value / 4) + 1) * 4);
  return end;
}

/** The size the dump implies for a BAR nobody sized: the alignment of its address. */
function impliedBarSize(low: number, high: number): number {
  for (let i = 0; i < 32; i++) if (bitOf(low, i)) return 2 ** i;
  for (let i = 0; i < 32; i++) if (bitOf(high, i)) return 2 ** (32 + i);
  return 0;
}

/**
 * Every capability begins with its header (PCI LB 3.0 §6.7, PCIe Base 6.0
 * §7.6.3): ID, for extended ones a version, then the next pointer, which the
 * guest sees re-linked around hidden capabilities; ID and version are constant
 * (read once, at attach). A layout that writes no register at 0x00 has this one.
 */
function withStandardHeader(layout: A.Layout): A.Layout {
  if (layout.layoutKind === "header" || layout.body.some((s) => s.kind === "register" && s.offset.value === 0)) return layout;
  const at = layout.name.span;
  const field = (hi: number, lo: number, name: string, policy: A.Policy): A.Field =>
    ({ hi, lo, name, policy, attribute: "RO", span: at, bitsSpan: at, nameSpan: at, attributeSpan: at, ...(policy.kind === "pass" ? { constant: at } : {}) });
  const pass: A.Policy = { kind: "pass", span: at };
  const next: A.Policy = { kind: "emulate", init: { kind: "link", link: "next" }, span: at };
  const fields = layout.layoutKind === "capability"
    ? [field(7, 0, "id", pass), field(15, 8, "next", next)]
    : [field(15, 0, "id", pass), field(19, 16, "version", pass), field(31, 20, "next", next)];
  const header: A.Register = { kind: "register", name: { name: "header", span: at }, offset: { value: 0, span: at }, width: layout.layoutKind === "capability" ? 16 : 32, fields, span: at };
  return { ...layout, body: [header, ...layout.body] };
}

/** A layout placed on this device, with the registers present (guards evaluated, within its size). */
export interface ReferencePlacement {
  readonly layout: A.Layout;
  readonly base: number;
  readonly size: number;
  readonly visible: boolean;
  readonly registers: readonly A.Register[];
  readonly overrides: ReadonlyMap<string, A.Policy> | undefined;
}

/**
 * Per byte, what the placed layouts cover, in placement order: the first
 * register of a shown layout over it, the placement whose `rest` governs it,
 * and whether any placed layout (shown or not) spans it.
 */
interface Coverage {
  /** The register's owner, as a field and as the ROM BAR's dword: one pair per register, shared by its bytes. */
  readonly register: ({ readonly field: Owner; readonly rom: Owner } | undefined)[];
  /** Index into the placements, or -1. */
  readonly rest: Int32Array;
  readonly spanned: Uint8Array;
}

/** Who governs one byte, found from the placed layouts. */
type Owner =
  | { readonly kind: "field"; readonly placed: ReferencePlacement; readonly register: A.Register }
  | { readonly kind: "rule"; readonly rule: BitRule }
  | { readonly kind: "bar"; readonly writable: number }
  | { readonly kind: "rom"; readonly placed: ReferencePlacement; readonly register: A.Register };

const BAR_WRITABLE: BitRule = { what: "BAR address", view: "virtual", guestWrite: "set", toHardware: false, zeroOnHardwareWrite: false, hidden: false, hook: "bar" };
const BAR_FIXED: BitRule = { what: "BAR flags/size", view: "virtual", guestWrite: "ignore", toHardware: false, zeroOnHardwareWrite: false, hidden: false, hook: "bar" };
/** A dword's hook and all its trapped bits. */
interface Trap {
  readonly hook: string;
  readonly bits: number;
}

const EXT_HEAD: BitRule = { what: "extended chain head", view: "virtual", guestWrite: "ignore", toHardware: false, zeroOnHardwareWrite: false, hidden: false, hook: undefined };

export class ReferenceDevice {
  readonly shadow = new Uint32Array(1024);
  readonly initialShadow = new Uint32Array(1024);
  readonly hardware: HardwareFacts;
  /** What the applied device file says (or every layout's own default). */
  readonly deviceFile: DeviceFileMeaning;
  readonly placements: ReferencePlacement[] = [];
  /** Byte ranges [from, to) of hidden capabilities (and unknown ones' headers): they read 0 whatever overlaps them. */
  private readonly hiddenExtents: [number, number][] = [];
  /** Every hook run since the caller last emptied it. */
  readonly hookCalls: HookCall[] = [];
  /** Offset of the first visible extended capability when 0x100 itself is hidden. */
  private extHead: number | undefined;
  /** BAR registers by dword: the address bits a guest may write (sizing result). */
  private readonly bars = new Map<number, number>();
  private rom: { readonly dword: number; readonly address: number } | undefined;
  private readonly vpd: Uint8Array;
  private readonly fieldRules = new Map<A.Field | A.Layout, BitRule>();
  // Memos of what depends only on the attach: filled on first use.
  private readonly owners: (Owner | undefined)[] = new Array(4096);
  /**
   * A bit's rule, as index + 1 into `bitRuleList` (0: not yet found). Not one
   * array of 32768 rules: at 256 KiB V8 puts that in its large-object space, and
   * a fuzz campaign makes a reference device per run.
   */
  private readonly bitRuleIndex = new Uint16Array(4096 * 8);
  private readonly bitRuleList: BitRule[] = [];
  private readonly traps: (Trap | null | undefined)[] = new Array(1024);
  private coverage: Coverage | undefined;
  /** Per dword: its hidden, passed-writable and passed masks (3 words), once `masked` says so. */
  private readonly masks = new Uint32Array(1024 * 3);
  private readonly masked = new Uint8Array(1024);

  constructor(rules: ReferenceRules, readonly host: ReferenceHost, opts: ReferenceOptions = {}) {
    // The reference's own copy of the VPD storage: a guest VPD write changes it.
    this.vpd = Uint8Array.from(opts.vpd ?? []);
    const b0 = (o: number) => hostByte(host, o);
    const identity = {
      vendor: b0(0) + b0(1) * 256,
      device: b0(2) + b0(3) * 256,
      classCode: b0(9) + b0(10) * 256 + b0(11) * 65536,
      subsystemVendor: 0,
      subsystem: 0,
    };
    const headerType = b0(0x0e) % 128;
    if (headerType === 0) {
      identity.subsystemVendor = b0(0x2c) + b0(0x2d) * 256;
      identity.subsystem = b0(0x2e) + b0(0x2f) * 256;
    }
    // Layouts by name and by kind and ID: the first definition (the compiler refuses a second).
    const byName = new Map<string, A.Layout>();
    const byId = new Map<string, A.Layout>();
    for (const written of rules.layouts) {
      const l = withStandardHeader(written);
      if (!byName.has(l.name.name)) byName.set(l.name.name, l);
      // A layout may describe several IDs (`id 0x0002, 0x0009`).
      for (const id of [l.id, ...(l.otherIds ?? [])]) if (!byId.has(`${l.layoutKind} ${id.value}`)) byId.set(`${l.layoutKind} ${id.value}`, l);
    }
    const policy = (this.deviceFile = meaningOf(opts.device ?? pickDeviceFile(rules.devices, identity), [...byName.values()]));
    if (headerType !== 0 && !opts.allowBridge) throw new CfgvirtError([error("A001", `header type ${headerType} is not passed through (reference)`)]);
    const header = byId.get(`header ${headerType}`);
    if (!header) throw new CfgvirtError([error("A002", `no rules describe header type ${headerType} (reference)`)]);

    // Placement: header, then capabilities in chain order.
    const found = capabilityChains(host);
    const claimed = new Uint8Array(4096).fill(1, 0, 64);
    const visibleStd: number[] = [];
    const visibleExt: number[] = [];
    // Each layout's first place on the device, shown or not, for cross-layout references.
    const firstPlace = new Map<string, { layout: A.Layout; base: number }>([[header.name.name, { layout: header, base: 0 }]]);
    for (const f of found) {
      const l = byId.get(`${f.kind} ${f.id}`);
      if (l && !firstPlace.has(l.name.name)) firstPlace.set(l.name.name, { layout: l, base: f.offset });
    }
    const site = (base: number): Site => ({ host, base, find: (name) => firstPlace.get(name) });
    const place = (layout: A.Layout, base: number, size: number, visible: boolean) => {
      const registers = presentRegisters(layout.body, layout, site(base)).filter((r) => {
        const dwordStart = Math.floor(r.offset.value / 4) * 4;
        return dwordStart < size && base + dwordStart < host.size;
      });
      this.placements.push({ layout, base, size, visible, registers, overrides: policy.overrides.get(layout.name.name) });
    };
    place(header, 0, 64, true);
    for (const f of found) {
      const layout = byId.get(`${f.kind} ${f.id}`);
      // A capability ends where its space does: 0x100 for standard ones, 0x1000 for extended.
      const spaceEnd = f.kind === "capability" ? 0x100 : 0x1000;
      if (!layout) {
        this.hiddenExtents.push([f.offset, Math.min(f.offset + 4, spaceEnd)]);
        continue;
      }
      const size = Math.min(layoutSize(layout, site(f.offset)), host.size - f.offset, spaceEnd - f.offset);
      const name = layout.name.name;
      let visible = !policy.hide.has(name) && (layout.hiddenReason === undefined || policy.allow.has(name));
      for (let b = f.offset; visible && b < f.offset + size; b++) if (claimed[b]) visible = false;
      if (visible) {
        claimed.fill(1, f.offset, f.offset + size);
        (f.kind === "capability" ? visibleStd : visibleExt).push(f.offset);
      }
      place(layout, f.offset, size, visible);
      if (!visible) this.hiddenExtents.push([f.offset, f.offset + size]);
    }
    const link = (name: string, layout: A.Layout, offset: number): number => {
      if (name === "first_cap") return visibleStd[0] ?? 0;
      if (name === "cap_list") return visibleStd.length > 0 ? 1 : 0;
      const chain = layout.layoutKind === "extended" ? visibleExt : visibleStd;
      return chain[chain.indexOf(offset) + 1] ?? 0;
    };
    if (visibleExt.length > 0 && visibleExt[0] !== 0x100) this.extHead = visibleExt[0];

    // Hardware facts, as the simulated device behaves: per bit, from every
    // placed layout, shown or not; bits no layout describes are plain RW.
    const writable = new Uint32Array(1024);
    const w1c = new Uint32Array(1024);
    const rsvdz = new Uint32Array(1024);
    this.hardware = { writable, w1c, rsvdz };
    const described = new Uint8Array(4096);
    const describe = (k: number, attribute: A.Attribute) => {
      const b = behaviourOf(attribute);
      const m = (1 << (k & 31)) >>> 0;
      if (b === "write") writable[k >> 5] |= m;
      if (b === "w1c") w1c[k >> 5] |= m;
      if (b === "rsvdz") rsvdz[k >> 5] |= m;
      described[k >> 3] = 1;
    };
    const setInit = (k: number, bit: number) => {
      const m = (1 << (k & 31)) >>> 0;
      this.initialShadow[k >> 5] = bit ? this.initialShadow[k >> 5] | m : this.initialShadow[k >> 5] & ~m;
    };
    const hwBit = (k: number) => (host.read32(k >> 5) >>> (k & 31)) & 1;
    for (const p of this.placements) {
      for (const reg of p.registers) {
        for (const field of reg.fields) {
          const pol = this.policyOf(p, reg, field);
          for (let i = field.lo; i <= field.hi; i++) {
            const k = (p.base + reg.offset.value) * 8 + i;
            describe(k, field.attribute);
            if (!p.visible || this.inHidden(k >> 3)) continue;
            const j = i - field.lo;
            if (pol.kind === "hide") setInit(k, bitOf(pol.value, j));
            else if (pol.kind === "pass" && pol.readOnly !== true && constantField(field.attribute, field.constant)) setInit(k, hwBit(k));
            else if (pol.kind === "emulate" || pol.kind === "trap") {
              const init = pol.init;
              setInit(k, init.kind === "hw" ? hwBit(k) : init.kind === "const" ? bitOf(init.value, j) : bitOf(link(init.link, p.layout, p.base), j));
            }
          }
        }
      }
      const rest = p.layout.rest;
      if (!rest) continue;
      for (let b = p.base; b < p.base + p.size && b < host.size; b++) {
        if (described[b]) continue;
        for (let i = 0; i < 8; i++) {
          describe(b * 8 + i, rest.attribute);
          const snapshot = rest.policy.kind === "pass" && rest.policy.readOnly !== true && constantField(rest.attribute, undefined);
          if (p.visible && !this.inHidden(b) && ((rest.policy.kind === "emulate" && rest.policy.init.kind === "hw") || snapshot)) setInit(b * 8 + i, hwBit(b * 8 + i));
        }
      }
    }
    if (this.extHead !== undefined) this.initialShadow[0x40] = (this.extHead * 2 ** 20) >>> 0;
    this.sizeBars(opts, policy);
    for (let b = 0; b < 4096; b++) if (!described[b]) writable[b >> 2] |= (0xff << ((b & 3) * 8)) >>> 0;
    this.shadow.set(this.initialShadow);
  }

  private policyOf(p: ReferencePlacement, reg: A.Register, field: A.Field): A.Policy {
    return (field.name !== undefined ? p.overrides?.get(`${reg.name.name}.${field.name}`) : undefined) ?? field.policy;
  }

  /**
   * A BAR's size (index 6: the ROM), from the first that says: the command
   * line, the device file, the input, a Resizable BAR capability's current
   * size (PCIe Base 6.0 §7.8.6), else a guess from the alignment of the
   * address (its lowest set bit), kept within what the kind of BAR decodes
   * (I/O 4..256 bytes, PCI LB 3.0 §6.2.5.1; ROM 2 KiB..16 MiB, §6.2.5.2;
   * memory 16 bytes..256 MiB); an address of 0 is a BAR not implemented.
   */
  private barSize(opts: ReferenceOptions, policy: DeviceFileMeaning, index: number, kind: "io" | "mem" | "rom", low: number, high: number): number {
    const given = [
      index === 6 ? opts.romSize : opts.barSizes?.[index],
      index === 6 ? policy.romSize : policy.barSizes[index],
      index === 6 ? opts.inputSizes?.rom : opts.inputSizes?.bars[index],
      index === 6 ? undefined : this.resizableBarSize(index),
    ].find((x) => x !== undefined);
    if (given !== undefined) return given;
    const implied = impliedBarSize(low, high);
    if (implied === 0) return 0;
    const [min, max] = kind === "io" ? [4, 256] : kind === "rom" ? [2048, 16 * 2 ** 20] : [16, 256 * 2 ** 20];
    return Math.max(min, Math.min(implied, max));
  }

  /** The current size of BAR `index` from a Resizable BAR capability: per entry, BAR Index 2:0 and BAR Size 13:8 of its Control (2^(20+n) bytes). */
  private resizableBarSize(index: number): number | undefined {
    const rebar = capabilityChains(this.host).find((c) => c.kind === "extended" && c.id === 0x15);
    if (!rebar) return undefined;
    const entries = Math.floor(hostByte(this.host, rebar.offset + 8) / 32) % 8;
    let size: number | undefined;
    for (let i = 0; i < Math.min(entries, 6); i++) {
      const at = rebar.offset + 8 + 8 * i;
      if (at + 4 > this.host.size) break;
      if (hostByte(this.host, at) % 8 === index) size = 2 ** (20 + (hostByte(this.host, at + 1) % 64));
    }
    return size;
  }

  /** BARs and the ROM BAR: the writable address bits follow each BAR's size; the reset value is the flag bits with address 0. */
  private sizeBars(opts: ReferenceOptions, policy: DeviceFileMeaning): void {
    const value = (d: number) => this.host.read32(d) >>> 0;
    const set = (d: number, w: number, flags: number) => {
      this.bars.set(d, w >>> 0);
      this.initialShadow[d] = (value(d) & flags) >>> 0;
      this.hardware.writable[d] = w >>> 0;
    };
    for (let d = 4; d < 16; d++) {
      if (this.hookOf(d) !== "bar") continue;
      const n = d - 4;
      const v = value(d);
      if (v & 1) {
        const size = this.barSize(opts, policy, n, "io", v & 0xfffffffc, 0);
        let w = 0;
        if (size >= 4) for (let i = 2; i < 32; i++) if (2 ** i >= size) w = (w | (1 << i)) >>> 0;
        set(d, w, size ? 1 : 0);
        continue;
      }
      const is64 = ((v >>> 1) & 3) === 2 && d + 1 < 16 && this.hookOf(d + 1) === "bar";
      const high = is64 ? value(d + 1) : 0;
      const size = this.barSize(opts, policy, n, "mem", v & 0xfffffff0, high);
      // Address bit i (of 64) is writable when 2^i >= size.
      let lo = 0;
      let hi = 0;
      if (size >= 16 && size < 2 ** 32) for (let i = 4; i < 32; i++) if (2 ** i >= size) lo = (lo | (1 << i)) >>> 0;
      if (size > 0) for (let i = 0; i < 32; i++) if (2 ** (32 + i) >= size) hi = (hi | (1 << i)) >>> 0;
      set(d, lo, size ? 0xf : 0);
      if (is64) set(++d, hi, 0);
    }
    for (let d = 0; d < 16; d++) {
      if (this.hookOf(d) !== "rom") continue;
      const v = value(d);
      const size = this.barSize(opts, policy, 6, "rom", v & 0xfffff800, 0);
      let address = 0;
      if (size >= 2048 && size < 2 ** 32) for (let i = 11; i < 32; i++) if (2 ** i >= size) address = (address | (1 << i)) >>> 0;
      this.rom = { dword: d, address };
      this.initialShadow[d] = (this.initialShadow[d] & 1) >>> 0;
      this.hardware.writable[d] = ((this.hardware.writable[d] & 1) | address) >>> 0;
    }
  }

  /** The hook a write to dword `d` runs: the last trapped field of the dword, in layout order. */
  private hookOf(d: number): string | undefined {
    return this.trapOf(d)?.hook;
  }

  /** The hook of dword `d` and the bits of all its trapped fields (remembered). */
  private trapOf(d: number): Trap | undefined {
    let t = this.traps[d];
    if (t === undefined) this.traps[d] = t = this.findTrap(d);
    return t ?? undefined;
  }

  private findTrap(d: number): Trap | null {
    if (this.extHead !== undefined && d === 0x40) return null;
    let hook: string | undefined;
    let bits = 0;
    for (const p of this.placements) {
      if (!p.visible) continue;
      for (const reg of p.registers) {
        if ((p.base + reg.offset.value) >> 2 !== d) continue;
        for (const f of reg.fields) {
          const pol = this.policyOf(p, reg, f);
          if (pol.kind !== "trap") continue;
          let any = false;
          for (let b = f.lo; b <= f.hi; b++) {
            const bit = ((p.base + reg.offset.value) & 3) * 8 + b;
            if (this.inHidden(d * 4 + (bit >> 3))) continue;
            bits = (bits | (1 << bit)) >>> 0;
            any = true;
          }
          if (any) hook = pol.hook.name;
        }
      }
    }
    return hook ? { hook, bits } : null;
  }

  private inHidden(b: number): boolean {
    return this.hiddenExtents.some(([from, to]) => b >= from && b < to);
  }

  /** Who governs byte `b` (remembered). */
  private ownerOf(b: number): Owner {
    let o = this.owners[b];
    if (o === undefined) this.owners[b] = o = this.findOwner(b);
    return o;
  }

  /** Who governs byte `b`: walk the layouts placed on the device. */
  private findOwner(b: number): Owner {
    if (this.extHead !== undefined && b >= 0x100 && b < 0x104) return { kind: "rule", rule: EXT_HEAD };
    const bar = this.bars.get(b >> 2);
    if (bar !== undefined) return { kind: "bar", writable: bar };
    if (this.inHidden(b)) return { kind: "rule", rule: DENY };
    const cover = (this.coverage ??= this.cover());
    const at = cover.register[b];
    if (at) return this.rom && this.rom.dword === b >> 2 ? at.rom : at.field;
    const rest = cover.rest[b];
    if (rest >= 0) return { kind: "rule", rule: this.restRule(this.placements[rest].layout) };
    // `pass` and `permissive` reach only bytes that no placed layout spans.
    if (cover.spanned[b]) return { kind: "rule", rule: b >= this.host.size ? ABSENT : DENY };
    for (const r of this.deviceFile.passBytes) {
      if (b < r.first || b > r.last) continue;
      const w = behaviourOf(r.attribute);
      return { kind: "rule", rule: { what: `pass ${r.first}..${r.last}`, view: "pass", guestWrite: "ignore", toHardware: w === "write" || w === "w1c", zeroOnHardwareWrite: false, hidden: false, hook: undefined } };
    }
    if (b >= this.host.size) return { kind: "rule", rule: ABSENT };
    return { kind: "rule", rule: this.deviceFile.permissive ? PERMISSIVE : DENY };
  }

  /**
   * Walk the placed layouts once (placement is complete: the first owner is
   * asked for after attach). A byte's register is the first of a shown layout
   * over it, in placement order; a layout's `rest` governs its bytes that no
   * register of it, or of a layout placed before it, describes.
   */
  private cover(): Coverage {
    const ps = this.placements;
    const register: Coverage["register"] = new Array(4096).fill(undefined);
    const rest = new Int32Array(4096).fill(-1);
    const spanned = new Uint8Array(4096);
    // The first placement (shown or not) with a register over the byte.
    const describedBy = new Int32Array(4096).fill(ps.length);
    ps.forEach((p, i) => {
      for (const r of p.registers) {
        const start = p.base + r.offset.value;
        const owners = { field: { kind: "field", placed: p, register: r }, rom: { kind: "rom", placed: p, register: r } } as const;
        for (let b = start; b < start + r.width / 8 && b < 4096; b++) {
          if (describedBy[b] > i) describedBy[b] = i;
          if (p.visible && register[b] === undefined) register[b] = owners;
        }
      }
      spanned.fill(1, p.base, Math.min(p.base + p.size, 4096));
    });
    ps.forEach((p, i) => {
      if (!p.visible || !p.layout.rest) return;
      for (let b = p.base; b < p.base + p.size && b < this.host.size && b < 4096; b++) if (rest[b] < 0 && describedBy[b] > i) rest[b] = i;
    });
    return { register, rest, spanned };
  }

  private restRule(layout: A.Layout): BitRule {
    let r = this.fieldRules.get(layout);
    if (!r) this.fieldRules.set(layout, (r = ruleFor(`${layout.name.name}.rest`, layout.rest!.attribute, layout.rest!.policy)));
    return r;
  }

  /** The rule of bit `bit` (0..7) of byte `b` (remembered). */
  private ruleOf(b: number, bit: number): BitRule {
    const k = b * 8 + bit;
    const i = this.bitRuleIndex[k];
    if (i !== 0) return this.bitRuleList[i - 1];
    const r = this.findRule(this.ownerOf(b), b, bit);
    this.bitRuleIndex[k] = this.bitRuleList.push(r);
    return r;
  }

  private findRule(owner: Owner, b: number, bit: number): BitRule {
    switch (owner.kind) {
      case "rule":
        return owner.rule;
      case "bar":
        return (owner.writable >>> ((b & 3) * 8 + bit)) & 1 ? BAR_WRITABLE : BAR_FIXED;
      case "field":
      case "rom": {
        const { placed: p, register: reg } = owner;
        const i = (b - p.base - reg.offset.value) * 8 + bit;
        const field = reg.fields.find((f) => f.lo <= i && i <= f.hi)!;
        let r = this.fieldRules.get(field);
        if (!r) {
          r = ruleFor(`${p.layout.name.name}.${reg.name.name}.${field.name ?? "-"}`, field.attribute, this.policyOf(p, reg, field), field.constant);
          this.fieldRules.set(field, r);
        }
        if (owner.kind === "rom") {
          // ROM BAR: above the enable bit, only the address bits the ROM's size leaves are writable.
          const k = (b & 3) * 8 + bit;
          if (k > 0) return { ...r, guestWrite: r.view === "virtual" && (this.rom!.address >>> k) & 1 ? "set" : "ignore" };
        }
        return r;
      }
    }
  }

  /** The rule that governs bit `bit` of byte `offset`. */
  ruleAt(offset: number, bit: number): BitRule {
    return this.ruleOf(offset, bit);
  }

  /** Mask `which` (0 hidden, 1 passed writable, 2 passed) of dword `d`: the three from one pass over its bits' rules (remembered). */
  private maskOf(d: number, which: 0 | 1 | 2): number {
    if (!this.masked[d]) {
      let hidden = 0;
      let writable = 0;
      let passed = 0;
      for (let k = 0; k < 32; k++) {
        const b = d * 4 + (k >> 3);
        const owner = this.ownerOf(b);
        // A byte under one rule (denied, absent, hidden...): its 8 bits at once.
        const whole = owner.kind === "rule";
        const r = whole ? owner.rule : this.ruleOf(b, k & 7);
        const bits = whole ? 0xff << k : 1 << k;
        if (r.hidden) hidden |= bits;
        if (r.toHardware) writable |= bits;
        if (r.view === "pass") passed |= bits;
        if (whole) k += 7;
      }
      this.masks[d * 3] = hidden;
      this.masks[d * 3 + 1] = writable;
      this.masks[d * 3 + 2] = passed;
      this.masked[d] = 1;
    }
    return this.masks[d * 3 + which];
  }

  /** Bits of dword `d` the guest always reads as their initial value. */
  hiddenMask(d: number): number {
    return this.maskOf(d, 0);
  }

  /** Bits of dword `d` whose guest value reaches the hardware. */
  passedWritableMask(d: number): number {
    return this.maskOf(d, 1);
  }

  /** Bits of dword `d` the guest reads from the hardware. */
  passedMask(d: number): number {
    return this.maskOf(d, 2);
  }

  read(offset: number, size: number): number {
    if (size !== 1 && size !== 2 && size !== 4) return 0xffffffff;
    const ones = size === 4 ? 0xffffffff : 2 ** (size * 8) - 1;
    if (!Number.isInteger(offset) || offset < 0 || offset > 4095) return ones;
    let v = 0;
    for (let i = size - 1; i >= 0; i--) v = v * 256 + (offset + i < 4096 ? this.readByte(offset + i) : 0xff);
    return v;
  }

  private readByte(offset: number): number {
    const hw = this.host.read32(offset >> 2) >>> ((offset & 3) * 8);
    const virt = this.shadow[offset >> 2] >>> ((offset & 3) * 8);
    let v = 0;
    for (let i = 0; i < 8; i++) {
      const rule = this.ruleOf(offset, i);
      const bit = rule.view === "pass" ? (hw >>> i) & 1 : (virt >>> i) & 1;
      v |= bit << i;
    }
    return v;
  }

  write(offset: number, size: number, value: number): void {
    if (size !== 1 && size !== 2 && size !== 4) return;
    if (!Number.isInteger(offset) || offset < 0 || offset > 4095) return;
    const v = value >>> 0;
    if ((offset & 3) + size <= 4) {
      this.writeWithinDword(offset, size, v);
      return;
    }
    for (let i = 0; i < size && offset + i < 4096; i++) this.writeWithinDword(offset + i, 1, Math.floor(v / 2 ** (8 * i)) % 256);
  }

  private writeWithinDword(offset: number, size: number, value: number): void {
    const d = offset >> 2;
    for (let j = 0; j < size; j++) {
      const byte = offset + j;
      const guest = Math.floor(value / 2 ** (8 * j)) % 256;
      let reaches = false;
      for (let i = 0; i < 8; i++) {
        const rule = this.ruleOf(byte, i);
        const g = (guest >>> i) & 1;
        const m = (1 << ((byte & 3) * 8 + i)) >>> 0;
        if (rule.guestWrite === "set") this.shadow[d] = g ? this.shadow[d] | m : this.shadow[d] & ~m;
        else if (rule.guestWrite === "clear-on-1" && g) this.shadow[d] &= ~m;
        if (rule.toHardware) reaches = true;
      }
      if (!reaches) continue;
      const hw = (this.host.read32(d) >>> ((byte & 3) * 8)) & 0xff;
      let out = 0;
      for (let i = 0; i < 8; i++) {
        const rule = this.ruleOf(byte, i);
        const bit = rule.toHardware ? (guest >>> i) & 1 : rule.zeroOnHardwareWrite ? 0 : (hw >>> i) & 1;
        out |= bit << i;
      }
      this.host.write(byte, 1, out);
    }
    const trap = this.trapOf(d);
    const enable = (size === 4 ? -1 : (2 ** (size * 8) - 1) * 2 ** ((offset & 3) * 8)) | 0;
    if (trap && (trap.bits & enable) !== 0) this.runHook(trap, d, enable);
  }

  private runHook(trap: Trap, d: number, written: number): void {
    this.hookCalls.push({ hook: trap.hook, dword: d, written, trapped: trap.bits });
    if (trap.hook === "vpd_address") serveVpd(this.shadow, d, trap.bits, this.vpd);
    else if (trap.hook === "flr" && startsReset(this.shadow, d, written, trap.bits) && advertisesReset((i) => this.host.read32(i), d, trap.bits)) this.resetShadow();
  }

  /** Back to the state after attach (function-level reset, tests). */
  resetShadow(): void {
    this.shadow.set(this.initialShadow);
  }
}
