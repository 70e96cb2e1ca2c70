// Stage two: attach compiled templates to one host device. Walk its real
// capability chains, place each template at its offset, evaluate guards against
// the hardware, hide what the device policy does not allow, re-link the chains
// around hidden capabilities, and deny every byte no rule covers.
import { type DeviceIdentity, matchDevice } from "../compile/apply/match.js";
import { type DevicePolicy, defaultPolicy } from "../compile/resolve/device.js";
import type { CompiledRules } from "../compile/pipeline.js";
import { appliedDevice } from "../compile/apply/device.js";
import { writeClass } from "../compile/lower/bits.js";
import type { PieceMasks, Template } from "../compile/template.js";
import { HOOK_NAMES, type HookName } from "../compile/vocabulary.js";
import { CfgvirtError, error } from "../diag/diagnostic.js";
import { CONFIG_DWORDS, type HostDevice } from "../host/host.js";
import { guessWarnings } from "./bar-sizes.js";
import { attachBars } from "./bars.js";
import { walkExtended, walkStandard } from "./chains.js";
import { evalGuard, templateSize } from "../compile/guards.js";
import { assignSlots, type DeviceTables, HOT_STRIDE, packHot, type PlacedLayout, type UnknownCapability } from "./tables.js";

export type { DeviceTables, PlacedLayout, UnknownCapability } from "./tables.js";
export { evalGuard, packHot };

export interface AttachOptions {
  /** Device policy; when absent, the most specific matching device file, else the default. */
  readonly policy?: DevicePolicy;
  /** BAR sizes that win over the device file's and the default. */
  readonly barSizes?: readonly (number | undefined)[];
  readonly romSize?: number;
  /** Sizes the input carries (sysfs `resource`, lspci `[size=]` lines); after the device file's, before a guess. */
  readonly inputSizes?: { readonly bars: readonly (number | undefined)[]; readonly rom?: number; readonly source: string };
  /** Accept a Type 1 header (the platform's own emulated bridges). */
  readonly allowBridge?: boolean;
}

export function identityOf(host: HostDevice): DeviceIdentity {
  const d0 = host.read32(0);
  const d2 = host.read32(2);
  const d11 = host.read32(11);
  const type = (host.read32(3) >>> 16) & 0x7f;
  return {
    vendor: d0 & 0xffff,
    device: d0 >>> 16,
    classCode: d2 >>> 8,
    subsystemVendor: type === 0 ? d11 & 0xffff : 0,
    subsystem: type === 0 ? d11 >>> 16 : 0,
  };
}

export function headerTypeOf(host: HostDevice): number {
  return (host.read32(3) >>> 16) & 0x7f;
}

/** Refuse devices a guest must not own; bridges belong to the platform. */
export function assertPassThroughable(host: HostDevice, path: string): void {
  const type = headerTypeOf(host);
  if (type !== 0) {
    const what = type === 1 ? "a PCI-to-PCI bridge (header type 1)" : type === 2 ? "a CardBus bridge (header type 2)" : `header type ${type}`;
    throw new CfgvirtError([
      error("A001", `${path}: the device is ${what}; only Type 0 functions are passed through to a guest`, undefined,
        "bridges and root ports stay with the host; the platform emulates the ones a guest sees"),
    ]);
  }
}

/** The bits of dword `d` whose bytes some layout claims. */
function claimedMask(claimed: Uint8Array, d: number): number {
  let m = 0;
  for (let i = 0; i < 4; i++) if (claimed[d * 4 + i]) m |= 0xff << (i * 8);
  return m >>> 0;
}

export function attach(compiled: CompiledRules, host: HostDevice, opts: AttachOptions = {}): DeviceTables {
  const notes: string[] = [];
  const policy = opts.policy ?? matchDevice(compiled.devices, identityOf(host)) ?? defaultPolicy();
  const applied = appliedDevice(compiled, policy);
  const templates = applied.templates;
  const headerType = headerTypeOf(host);
  if (headerType !== 0 && !opts.allowBridge) assertPassThroughable(host, "device");
  const header = [...templates.values()].find((t) => t.kind === "header" && t.id === headerType);
  if (!header) {
    throw new CfgvirtError([error("A002", `no rules describe header type ${headerType}`, undefined, "add a `header NAME type N` layout")]);
  }
  const byId = new Map<string, Template>();
  for (const t of templates.values()) {
    if (t.kind === "header") continue;
    for (const id of [t.id, ...(t.otherIds ?? [])]) byId.set(`${t.kind}:${id}`, t);
  }

  const unknown: UnknownCapability[] = [];
  const standard = walkStandard(host, notes);
  const extended = walkExtended(host, notes);
  const offsets = new Map<string, number>([[header.name, 0]]);
  for (const f of [...standard, ...extended]) {
    const t = byId.get(`${f.kind}:${f.id}`);
    if (t && !offsets.has(t.name)) offsets.set(t.name, f.offset);
  }
  const guardsAt = (t: Template, base: number) => t.guards.map((g) => evalGuard(g, host, base, offsets));
  const placed: PlacedLayout[] = [{ template: header, offset: 0, size: 64, guards: guardsAt(header, 0), visible: true, reason: "header" }];
  const visibleStd: number[] = [];
  const visibleExt: number[] = [];
  // Every byte some layout (or unknown capability) occupies, shown or hidden:
  // `pass` ranges and `permissive` reach only bytes outside all of them.
  const claimed = new Uint8Array(4096);
  claimed.fill(1, 0, 64);
  const shownBytes = new Uint8Array(4096);
  shownBytes.fill(1, 0, 64);
  // Bytes of hidden layouts: they win over any visible layout that overlaps them.
  const hiddenBytes = new Uint32Array(CONFIG_DWORDS);
  const hideBytes = (from: number, to: number) => {
    for (let b = from; b < to; b++) hiddenBytes[b >> 2] |= (0xff << ((b & 3) * 8)) >>> 0;
    claimed.fill(1, from, to);
  };

  for (const found of [...standard, ...extended]) {
    const t = byId.get(`${found.kind}:${found.id}`);
    // A capability stays inside its own space: 0x40..0xff, or 0x100..0xfff.
    const spaceLimit = found.kind === "capability" ? 0x100 : 0x1000;
    const spaceEnd = Math.min(spaceLimit, host.size);
    if (!t) {
      unknown.push({ found });
      notes.push(`${found.kind} ID 0x${found.id.toString(16)} at 0x${found.offset.toString(16)} has no rules; hidden`);
      hideBytes(found.offset, Math.min(found.offset + 4, spaceEnd));
      continue;
    }
    const wanted = templateSize(t, host, found.offset, offsets);
    const size = Math.min(wanted, spaceEnd - found.offset);
    if (found.offset + wanted > spaceLimit) {
      notes.push(`${t.name} at 0x${found.offset.toString(16)} claims 0x${wanted.toString(16)} bytes, past the end of its space at 0x${spaceLimit.toString(16)}; cut there`);
    }
    let { visible, reason } = applied.visibility.get(t.name) ?? { visible: false, reason: "no rules" };
    if (visible && shownBytes.subarray(found.offset, found.offset + size).some((b) => b !== 0)) {
      [visible, reason] = [false, "overlaps another capability; hidden"];
      notes.push(`${t.name} at 0x${found.offset.toString(16)} overlaps another capability; hidden`);
    }
    if (visible) {
      shownBytes.fill(1, found.offset, found.offset + size);
      claimed.fill(1, found.offset, found.offset + size);
      (found.kind === "capability" ? visibleStd : visibleExt).push(found.offset);
    } else hideBytes(found.offset, found.offset + size);
    placed.push({ template: t, offset: found.offset, size, guards: guardsAt(t, found.offset), visible, reason });
  }
  for (const p of placed) {
    if (!p.visible) continue;
    let lo = -1;
    let hi = -1;
    for (let b = p.offset; b < p.offset + p.size; b++) {
      if (!(hiddenBytes[b >> 2] & (0xff << ((b & 3) * 8)))) continue;
      if (lo < 0) lo = b;
      hi = b;
    }
    if (lo >= 0) notes.push(`${p.template.name} at 0x${p.offset.toString(16)} overlaps hidden bytes 0x${lo.toString(16)}..0x${hi.toString(16)}; they stay hidden`);
  }

  const n = CONFIG_DWORDS;
  const hwRead = new Uint32Array(n);
  const virtRead = new Uint32Array(n);
  const virtWrite = new Uint32Array(n);
  const virtW1C = new Uint32Array(n);
  const hwWrite = new Uint32Array(n);
  const preserve = new Uint32Array(n);
  const hook = new Uint8Array(n);
  const hookBits = new Uint32Array(n);
  const initialShadow = new Uint32Array(n);
  const covered = new Uint32Array(n);
  const snapshot = new Uint32Array(n);
  const hwCovered = new Uint32Array(n);
  const writable = new Uint32Array(n);
  const w1c = new Uint32Array(n);
  const rsvdz = new Uint32Array(n);
  const hostDwords = host.size >> 2;

  /** The hardware's behaviour for bits `bits` of dword `d`. */
  const addHardware = (d: number, m: PieceMasks, bits: number) => {
    writable[d] |= m.attrWritable & bits;
    w1c[d] |= m.attrW1C & bits;
    rsvdz[d] |= m.attrRsvdZ & bits;
  };
  /** What the guest sees of bits `bits` of dword `d` (a shown layout's bits, less hidden bytes). */
  const addGuest = (d: number, m: PieceMasks, bits: number) => {
    covered[d] |= bits;
    snapshot[d] |= m.snapshot & bits;
    hwRead[d] |= m.hwRead & bits;
    virtRead[d] |= m.virtRead & bits;
    virtWrite[d] |= m.virtWrite & bits;
    virtW1C[d] |= m.virtW1C & bits;
    hwWrite[d] |= m.hwWrite & bits;
    preserve[d] |= m.preserve & bits;
  };

  const linkValue = (link: string, kind: Template["kind"], offset: number): number => {
    if (link === "first_cap") return visibleStd[0] ?? 0;
    if (link === "cap_list") return visibleStd.length > 0 ? 1 : 0;
    const chain = kind === "extended" ? visibleExt : visibleStd;
    return chain[chain.indexOf(offset) + 1] ?? 0;
  };

  for (const p of placed) {
    const base = p.offset >> 2;
    for (const piece of p.template.pieces) {
      if (piece.guard >= 0 && !p.guards[piece.guard]) continue;
      const d = base + piece.dword;
      if (d >= hostDwords || piece.dword * 4 >= p.size) continue;
      const m = piece.masks;
      // The hardware behaves as its attributes say, whether or not the guest sees it.
      addHardware(d, m, 0xffffffff);
      hwCovered[d] |= m.covered;
      if (!p.visible) continue;
      const shown = ~hiddenBytes[d];
      if ((m.covered & shown) === 0) continue;
      addGuest(d, m, m.covered & shown);
      for (const init of piece.inits) {
        let v = 0;
        if (init.kind === "hw") v = host.read32(d);
        else if (init.kind === "const") v = init.value;
        else {
          const lowBit = 31 - Math.clz32(init.mask & -init.mask);
          v = (linkValue(init.link!, p.template.kind, p.offset) * 2 ** lowBit) >>> 0;
        }
        const mask = init.mask & shown;
        initialShadow[d] = ((initialShadow[d] & ~mask) | (v & mask)) >>> 0;
      }
      for (const h of piece.hooks) {
        if ((h.mask & shown) === 0) continue;
        hook[d] = HOOK_NAMES.indexOf(h.hook as HookName) + 1;
        hookBits[d] |= h.mask & shown;
      }
    }
    const rest = p.template.rest;
    if (!rest) continue;
    // Bytes of the layout no register of it described: the layout's `rest` rule.
    for (let b = p.offset; b < p.offset + p.size && b < host.size; b++) {
      const d = b >> 2;
      const bm = (0xff << ((b & 3) * 8)) >>> 0;
      if (hwCovered[d] & bm) continue;
      addHardware(d, rest.masks, bm);
      hwCovered[d] |= bm;
      if (!p.visible || hiddenBytes[d] & bm) continue;
      addGuest(d, rest.masks, bm);
      if (rest.init?.kind === "hw") initialShadow[d] = ((initialShadow[d] & ~bm) | (host.read32(d) & bm)) >>> 0;
    }
  }

  // With the first extended capability hidden, 0x100 still heads the chain: a
  // header that reads as ID 0 and links to the first one the guest may see.
  const first = visibleExt[0];
  if (first !== undefined && first !== 0x100) {
    const d = 0x100 >> 2;
    hwRead[d] = virtWrite[d] = virtW1C[d] = hwWrite[d] = 0;
    hook[d] = 0;
    hookBits[d] = 0;
    virtRead[d] = 0xffffffff;
    covered[d] = 0xffffffff;
    initialShadow[d] = (first << 20) >>> 0;
  }

  const bars = attachBars(host, hook, virtWrite, initialShadow, writable, {
    option: { bars: opts.barSizes ?? [], rom: opts.romSize },
    deviceFile: { bars: policy.barSizes, rom: policy.romSize },
    input: opts.inputSizes,
  });
  notes.push(...guessWarnings(bars));

  // Device-specific bytes a device file passes through, then default deny.
  const denied = new Uint32Array(n);
  for (const r of policy.passBytes) {
    const cls = writeClass(r.attribute);
    for (let b = r.first; b <= r.last; b++) {
      const d = b >> 2;
      const m = (0xff << ((b & 3) * 8)) >>> 0;
      if (claimed[b]) continue;
      hwRead[d] |= m;
      covered[d] |= m;
      if (cls === "write" || cls === "w1c") hwWrite[d] |= m;
      else preserve[d] |= m;
    }
  }
  for (let d = 0; d < n; d++) {
    const unc = ~covered[d] >>> 0;
    writable[d] |= ~hwCovered[d];
    if (unc === 0) continue;
    if (d >= hostDwords) {
      virtRead[d] |= unc;
      continue;
    }
    // Permissive reaches only bytes no layout claims, shown or hidden.
    const open = policy.permissive ? unc & ~claimedMask(claimed, d) : 0;
    const deny = unc & ~open;
    hwRead[d] |= open;
    hwWrite[d] |= open;
    virtRead[d] |= deny;
    preserve[d] |= deny;
    denied[d] = deny;
    initialShadow[d] &= ~deny;
  }
  const slots = assignSlots({ virtRead, virtWrite, virtW1C, covered, initialShadow });
  const hot = new Uint32Array(n * HOT_STRIDE);
  packHot({ hwRead, virtRead, virtWrite, virtW1C, hwWrite, hookBits, denied, covered, initialShadow, slot: slots.slot, hot });
  if (policy.permissive) notes.push(`device "${policy.name}" is permissive: bytes no rule covers pass through to the hardware`);

  return {
    hwRead, virtRead, virtWrite, virtW1C, hwWrite, preserve, hot, ...slots, hook, hookBits, denied, initialShadow, covered, snapshot,
    hardware: { writable, w1c, rsvdz },
    placed, unknown, bars, policy, headerType, notes,
  };
}


