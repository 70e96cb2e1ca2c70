// The reference interpreter: a second, deliberately simple implementation of
// the guest's view of a device, the oracle for the property-based tests and the
// benchmark's baseline.
//
// It shares no lowering code with the table runtime (src/compile/lower.ts,
// src/runtime/attach.ts, src/runtime/bars.ts). At attach it walks the AST of
// every layout (registers, fields, `when` guards, overrides from the device
// policy) and records, for each of the 32768 bits of configuration space, the
// field that governs it; every access then evaluates that field's attribute and
// policy bit by bit. Capability discovery is a host fact, taken from chains.ts.
//
// Semantics (the table runtime's, as documented in virtual-device.ts/attach.ts):
// - pass: the guest reads the hardware bit; emulate/trap/hide: the virtual bit.
// - a guest write sets an emulated/trapped RW/RWS bit, clears an RW1C/RW1CS bit
//   written 1; hidden bits ignore writes.
// - hardware writes go byte by byte: a byte reaches the host only when it holds
//   a passed-through writable bit; in it passed writable bits carry the guest's
//   value, RW1C/RW1CS and RsvdZ bits the guest does not own are written 0, every
//   other bit as the hardware holds it.
// - odd accesses: bad size or offset -> all-ones read / dropped write; an access
//   crossing a dword is split into bytes; bytes past 4095 read 0xff.
import { type DevicePolicy, defaultPolicy, matchDevice } from "../compile/device.js";
import type { CompiledRules } from "../compile/load.js";
import type { HookName } from "../compile/vocabulary.js";
import { CfgvirtError, error } from "../diag/diagnostic.js";
import type { HardwareBehaviour, HostDevice } from "../host/host.js";
import { type FoundCapability, walkExtended, walkStandard } from "../runtime/chains.js";
import type { HookHandler, VirtualDevice } from "../runtime/virtual-device.js";
import type * as A from "../syntax/ast.js";

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
  readonly hook: HookName | undefined;
}

export interface ReferencePlacement {
  readonly layout: A.Layout;
  readonly offset: number;
  readonly size: number;
  readonly visible: boolean;
}

export interface ReferenceOptions {
  readonly policy?: DevicePolicy;
  readonly barSizes?: readonly (number | undefined)[];
  readonly romSize?: number;
  readonly allowBridge?: boolean;
  /** Hook behaviour (VPD, FLR): called as the table runtime calls it. */
  readonly onHook?: HookHandler;
}

const DENY: BitRule = { what: "default deny", view: "virtual", guestWrite: "ignore", toHardware: false, zeroOnHardwareWrite: false, hidden: true, hook: undefined };
const ABSENT: BitRule = { what: "past the device's configuration space", view: "virtual", guestWrite: "ignore", toHardware: false, zeroOnHardwareWrite: false, hidden: true, hook: undefined };
const PERMISSIVE: BitRule = { what: "permissive", view: "pass", guestWrite: "ignore", toHardware: true, zeroOnHardwareWrite: false, hidden: false, hook: undefined };

function ruleFor(what: string, attribute: A.Attribute, policy: A.Policy): BitRule {
  const b = behaviourOf(attribute);
  const writes = b === "write" || b === "w1c";
  if (policy.kind === "pass") {
    return { what, view: "pass", guestWrite: "ignore", toHardware: writes, zeroOnHardwareWrite: !writes && b === "rsvdz", hidden: false, hook: undefined };
  }
  const emulated = policy.kind === "emulate" || policy.kind === "trap";
  return {
    what,
    view: "virtual",
    guestWrite: !emulated ? "ignore" : b === "write" ? "set" : b === "w1c" ? "clear-on-1" : "ignore",
    toHardware: false,
    zeroOnHardwareWrite: b === "w1c" || b === "rsvdz",
    hidden: policy.kind === "hide",
    hook: policy.kind === "trap" ? (policy.hook.name as HookName) : undefined,
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

/** The value of REGISTER.FIELD as the hardware holds it, for a layout at `base`. */
function hardwareField(layout: A.Layout, path: A.FieldPath, host: HostDevice, base: number): number {
  const [regName, fieldName] = path.parts.map((p) => p.name);
  const reg = allRegisters(layout.body).find((r) => r.name.name === regName)!;
  const field = reg.fields.find((f) => f.name === fieldName)!;
  const abs = base + reg.offset.value;
  const dword = host.read32(abs >> 2) >>> ((abs & 3) * 8);
  let v = 0;
  for (let i = field.hi; i >= field.lo; i--) v = v * 2 + ((dword >>> i) & 1);
  return v;
}

function guardHolds(g: A.Guard, layout: A.Layout, host: HostDevice, base: number): boolean {
  switch (g.kind) {
    case "not":
      return !guardHolds(g.operand, layout, host, base);
    case "and":
      return g.operands.every((o) => guardHolds(o, layout, host, base));
    case "or":
      return g.operands.some((o) => guardHolds(o, layout, host, base));
    case "compare": {
      const v = hardwareField(layout, g.path, host, base);
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
function presentRegisters(body: readonly A.LayoutStmt[], layout: A.Layout, host: HostDevice, base: number): A.Register[] {
  const out: A.Register[] = [];
  for (const s of body) {
    if (s.kind === "register") out.push(s);
    else if (guardHolds(s.guard, layout, host, base)) out.push(...presentRegisters(s.then, layout, host, base));
    else out.push(...presentRegisters(s.otherwise, layout, host, base));
  }
  return out;
}

/** Bytes a capability spans on this device. */
function layoutSize(layout: A.Layout, host: HostDevice, base: number): number {
  if (layout.layoutKind === "header") return 64;
  if (layout.size && "value" in layout.size) return layout.size.value;
  if (layout.size) {
    let minimum = 0;
    for (const s of layout.body) if (s.kind === "register") minimum = Math.max(minimum, s.offset.value + s.width / 8);
    return Math.max(minimum, hardwareField(layout, layout.size.path, host, base) * layout.size.scale);
  }
  let end = 0;
  for (const r of presentRegisters(layout.body, layout, host, base)) end = Math.max(end, (Math.floor(r.offset.value / 4) + 1) * 4);
  return end;
}

/** The size the dump implies for a BAR nobody sized: the alignment of its address. */
function impliedBarSize(low: number, high: number): number {
  for (let i = 0; i < 32; i++) if (bitOf(low, i)) return 2 ** i;
  for (let i = 0; i < 32; i++) if (bitOf(high, i)) return 2 ** (32 + i);
  return 0;
}

export class ReferenceDevice {
  readonly shadow = new Uint32Array(1024);
  readonly initialShadow = new Uint32Array(1024);
  readonly hardware: HardwareBehaviour;
  readonly policy: DevicePolicy;
  readonly placements: ReferencePlacement[] = [];
  private readonly bits: (BitRule | undefined)[] = new Array(32768).fill(undefined);
  private readonly hookAt: (HookName | undefined)[] = new Array(1024).fill(undefined);
  private readonly onHook: HookHandler | undefined;

  constructor(compiled: CompiledRules, readonly host: HostDevice, opts: ReferenceOptions = {}) {
    this.onHook = opts.onHook;
    const hostBits = host.size * 8;
    const b0 = (o: number) => (host.read32(o >> 2) >>> ((o & 3) * 8)) & 0xff;
    const identity = {
      vendor: b0(0) | (b0(1) << 8),
      device: b0(2) | (b0(3) << 8),
      classCode: b0(9) | (b0(10) << 8) | (b0(11) << 16),
      subsystemVendor: 0,
      subsystem: 0,
    };
    const headerType = b0(0x0e) & 0x7f;
    if (headerType === 0) {
      identity.subsystemVendor = b0(0x2c) | (b0(0x2d) << 8);
      identity.subsystem = b0(0x2e) | (b0(0x2f) << 8);
    }
    const policy = (this.policy = opts.policy ?? matchDevice(compiled.devices, identity) ?? defaultPolicy());
    if (headerType !== 0 && !opts.allowBridge) throw new CfgvirtError([error("A001", `header type ${headerType} is not passed through (reference)`)]);
    const layouts = [...compiled.layoutsByName.values()];
    const header = layouts.find((l) => l.layoutKind === "header" && l.id.value === headerType);
    if (!header) throw new CfgvirtError([error("A002", `no rules describe header type ${headerType} (reference)`)]);

    // Hardware facts, as the simulated device behaves: per bit, from every
    // placed layout, shown or not.
    const writable = new Uint32Array(1024);
    const w1c = new Uint32Array(1024);
    const rsvdz = new Uint32Array(1024);
    const hwDescribed = new Uint8Array(32768);
    this.hardware = { writable, w1c, rsvdz };
    const describe = (k: number, attribute: A.Attribute) => {
      const b = behaviourOf(attribute);
      const m = (1 << (k & 31)) >>> 0;
      if (b === "write") writable[k >> 5] |= m;
      if (b === "w1c") w1c[k >> 5] |= m;
      if (b === "rsvdz") rsvdz[k >> 5] |= m;
      hwDescribed[k] = 1;
    };
    const setInit = (k: number, bit: number) => {
      const m = (1 << (k & 31)) >>> 0;
      this.initialShadow[k >> 5] = bit ? this.initialShadow[k >> 5] | m : this.initialShadow[k >> 5] & ~m;
    };
    const hwBit = (k: number) => (host.read32(k >> 5) >>> (k & 31)) & 1;

    // Placement: header, then capabilities in chain order.
    const notes: string[] = [];
    const found: FoundCapability[] = [...walkStandard(host, notes), ...walkExtended(host, notes)];
    const claimed = new Uint8Array(4096).fill(1, 0, 64);
    const visibleStd: number[] = [];
    const visibleExt: number[] = [];
    this.placements.push({ layout: header, offset: 0, size: 64, visible: true });
    for (const f of found) {
      const layout = layouts.find((l) => l.layoutKind === f.kind && l.id.value === f.id);
      if (!layout) continue;
      const size = Math.min(layoutSize(layout, host, f.offset), host.size - f.offset);
      const name = layout.name.name;
      let visible = !policy.hide.has(name) && (layout.hiddenReason === undefined || policy.allow.has(name));
      for (let b = f.offset; visible && b < f.offset + size; b++) if (claimed[b]) visible = false;
      if (visible) {
        claimed.fill(1, f.offset, f.offset + size);
        (f.kind === "capability" ? visibleStd : visibleExt).push(f.offset);
      }
      this.placements.push({ layout, offset: f.offset, size, visible });
    }
    const link = (name: string, layout: A.Layout, offset: number): number => {
      if (name === "first_cap") return visibleStd[0] ?? 0;
      if (name === "cap_list") return visibleStd.length > 0 ? 1 : 0;
      const chain = layout.layoutKind === "extended" ? visibleExt : visibleStd;
      return chain[chain.indexOf(offset) + 1] ?? 0;
    };

    for (const p of this.placements) {
      const { layout, offset: base, size, visible } = p;
      const overrides = policy.overrides.get(layout.name.name);
      for (const reg of presentRegisters(layout.body, layout, host, base)) {
        const dwordStart = Math.floor(reg.offset.value / 4) * 4;
        if (dwordStart >= size || base + dwordStart >= host.size) continue;
        for (const field of reg.fields) {
          const pol = (field.name !== undefined ? overrides?.get(`${reg.name.name}.${field.name}`)?.policy : undefined) ?? field.policy;
          const rule = ruleFor(`${layout.name.name}.${reg.name.name}.${field.name ?? "-"}`, field.attribute, pol);
          for (let i = field.lo; i <= field.hi; i++) {
            const k = (base + reg.offset.value) * 8 + i;
            describe(k, field.attribute);
            if (!visible) continue;
            this.bits[k] = rule;
            if (rule.hook) this.hookAt[k >> 5] = rule.hook;
            const j = i - field.lo;
            if (pol.kind === "hide") setInit(k, bitOf(pol.value, j));
            else if (pol.kind === "emulate" || pol.kind === "trap") {
              const init = pol.init;
              setInit(k, init.kind === "hw" ? hwBit(k) : init.kind === "const" ? bitOf(init.value, j) : bitOf(link(init.link, layout, base), j));
            }
          }
        }
      }
      // Bytes of the layout no register (of this or an earlier layout) describes.
      const rest = layout.rest;
      if (!rest) continue;
      const rule = ruleFor(`${layout.name.name}.rest`, rest.attribute, rest.policy);
      for (let b = base; b < base + size && b < host.size; b++) {
        let described = false;
        for (let i = 0; i < 8; i++) if (hwDescribed[b * 8 + i]) described = true;
        if (described) continue;
        for (let i = 0; i < 8; i++) {
          const k = b * 8 + i;
          describe(k, rest.attribute);
          if (!visible) continue;
          this.bits[k] = rule;
          setInit(k, rest.policy.kind === "emulate" && rest.policy.init.kind === "hw" ? hwBit(k) : 0);
        }
      }
    }

    // The first extended capability hidden: 0x100 reads as ID 0, version 0, linking on.
    if (visibleExt.length > 0 && visibleExt[0] !== 0x100) {
      const rule: BitRule = { what: "extended chain head", view: "virtual", guestWrite: "ignore", toHardware: false, zeroOnHardwareWrite: false, hidden: false, hook: undefined };
      for (let i = 0; i < 32; i++) {
        this.bits[0x100 * 8 + i] = rule;
        setInit(0x100 * 8 + i, bitOf(visibleExt[0] * 2 ** 20, i));
      }
      this.hookAt[0x40] = undefined;
    }

    this.attachBars(opts, policy);

    // Device-specific bytes the device file passes through.
    for (const r of policy.passBytes) {
      const b = behaviourOf(r.attribute);
      const rule: BitRule = { what: `pass ${r.first}..${r.last}`, view: "pass", guestWrite: "ignore", toHardware: b === "write" || b === "w1c", zeroOnHardwareWrite: false, hidden: false, hook: undefined };
      for (let byte = r.first; byte <= r.last; byte++) {
        let taken = false;
        for (let i = 0; i < 8; i++) if (this.bits[byte * 8 + i]) taken = true;
        if (!taken) for (let i = 0; i < 8; i++) this.bits[byte * 8 + i] = rule;
      }
    }
    // Everything else: past the device, permissive, or denied.
    for (let k = 0; k < 32768; k++) {
      if (!hwDescribed[k]) writable[k >> 5] |= (1 << (k & 31)) >>> 0;
      if (this.bits[k]) continue;
      this.bits[k] = k >= hostBits ? ABSENT : policy.permissive ? PERMISSIVE : DENY;
      setInit(k, 0);
    }
    this.shadow.set(this.initialShadow);
  }

  /** BARs and the ROM BAR: virtual; the writable address bits follow each BAR's size. */
  private attachBars(opts: ReferenceOptions, policy: DevicePolicy): void {
    const hooked = (d: number, hook: HookName) => this.hookAt[d] === hook;
    const value = (d: number) => this.host.read32(d) >>> 0;
    const setBits = (d: number, rule: (i: number) => BitRule, init: number, hwWritable: number) => {
      for (let i = 0; i < 32; i++) this.bits[d * 32 + i] = rule(i);
      this.initialShadow[d] = init >>> 0;
      this.hardware.writable[d] = hwWritable >>> 0;
    };
    const barRule = (writableBit: boolean): BitRule => ({
      what: "BAR", view: "virtual", guestWrite: writableBit ? "set" : "ignore", toHardware: false, zeroOnHardwareWrite: false, hidden: false, hook: "bar",
    });
    const sizeOf = (n: number, low: number, high: number) => opts.barSizes?.[n] ?? policy.barSizes[n] ?? impliedBarSize(low, high);
    for (let d = 4; d < 16; d++) {
      if (!hooked(d, "bar")) continue;
      const n = d - 4;
      const v = value(d);
      if (v & 1) {
        const size = sizeOf(n, v & 0xfffffffc, 0);
        let w = 0;
        if (size >= 4) for (let i = 2; i < 32; i++) if (2 ** i >= size) w = (w | (1 << i)) >>> 0;
        const flags = size ? 3 : 0;
        setBits(d, (i) => barRule(bitOf(w, i) === 1), v & (w | flags), w);
        continue;
      }
      const is64 = ((v >>> 1) & 3) === 2 && d + 1 < 16 && hooked(d + 1, "bar");
      const high = is64 ? value(d + 1) : 0;
      const size = sizeOf(n, v & 0xfffffff0, high);
      const flags = size ? 0xf : 0;
      // Address bit i (of 64) is writable when 2^i >= size.
      let lo = 0;
      let hi = 0;
      if (size >= 16) for (let i = 4; i < 32; i++) if (2 ** i >= size) lo = (lo | (1 << i)) >>> 0;
      if (size > 0) for (let i = 0; i < 32; i++) if (2 ** (32 + i) >= size) hi = (hi | (1 << i)) >>> 0;
      if (!is64) {
        if (size >= 2 ** 32) lo = 0;
        setBits(d, (i) => barRule(bitOf(lo, i) === 1), v & (lo | flags), lo);
        continue;
      }
      setBits(d, (i) => barRule(bitOf(lo, i) === 1), v & (lo | flags), lo);
      setBits(d + 1, (i) => barRule(bitOf(hi, i) === 1), high & hi, hi);
      d++;
    }
    for (let d = 0; d < 16; d++) {
      if (!hooked(d, "rom")) continue;
      const v = value(d);
      const size = opts.romSize ?? policy.romSize ?? impliedBarSize(v & 0xfffff800, 0);
      let addr = 0;
      if (size >= 2048) for (let i = 11; i < 32; i++) if (2 ** i >= size) addr = (addr | (1 << i)) >>> 0;
      for (let i = 1; i < 32; i++) {
        const k = d * 32 + i;
        const old = this.bits[k]!;
        const inAddr = bitOf(addr, i) === 1;
        this.bits[k] = { ...old, guestWrite: inAddr && old.view === "virtual" ? "set" : "ignore" };
        const m = (1 << i) >>> 0;
        this.initialShadow[d] = inAddr && bitOf(v, i) ? this.initialShadow[d] | m : this.initialShadow[d] & ~m;
      }
      this.hardware.writable[d] = ((this.hardware.writable[d] & 1) | addr) >>> 0;
    }
  }

  /** The rule that governs bit `bit` of byte `offset`. */
  ruleAt(offset: number, bit: number): BitRule {
    return this.bits[offset * 8 + bit]!;
  }

  /** Bits of dword `d` the guest always reads as their initial value. */
  hiddenMask(d: number): number {
    let m = 0;
    for (let i = 0; i < 32; i++) if (this.bits[d * 32 + i]!.hidden) m |= 1 << i;
    return m >>> 0;
  }

  /** Bits of dword `d` whose guest value reaches the hardware. */
  passedWritableMask(d: number): number {
    let m = 0;
    for (let i = 0; i < 32; i++) if (this.bits[d * 32 + i]!.toHardware) m |= 1 << i;
    return m >>> 0;
  }

  /** Bits of dword `d` the guest reads from the hardware. */
  passedMask(d: number): number {
    let m = 0;
    for (let i = 0; i < 32; i++) if (this.bits[d * 32 + i]!.view === "pass") m |= 1 << i;
    return m >>> 0;
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
      const rule = this.bits[offset * 8 + i]!;
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
        const k = byte * 8 + i;
        const rule = this.bits[k]!;
        const g = (guest >>> i) & 1;
        const m = (1 << (k & 31)) >>> 0;
        if (rule.guestWrite === "set") this.shadow[d] = g ? this.shadow[d] | m : this.shadow[d] & ~m;
        else if (rule.guestWrite === "clear-on-1" && g) this.shadow[d] &= ~m;
        if (rule.toHardware) reaches = true;
      }
      if (!reaches) continue;
      const hw = (this.host.read32(d) >>> ((byte & 3) * 8)) & 0xff;
      let out = 0;
      for (let i = 0; i < 8; i++) {
        const rule = this.bits[byte * 8 + i]!;
        const bit = rule.toHardware ? (guest >>> i) & 1 : rule.zeroOnHardwareWrite ? 0 : (hw >>> i) & 1;
        out |= bit << i;
      }
      this.host.write(byte, 1, out);
    }
    const hook = this.hookAt[d];
    if (hook && this.onHook) {
      const enable = size === 4 ? -1 : (2 ** (size * 8) - 1) * 2 ** ((offset & 3) * 8);
      this.onHook(this as unknown as VirtualDevice, hook, d, enable | 0);
    }
  }

  /** As VirtualDevice.resetShadow: the hooks (FLR) call it. */
  resetShadow(): void {
    this.shadow.set(this.initialShadow);
  }
}
