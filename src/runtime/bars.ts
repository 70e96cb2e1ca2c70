// BAR layout from the hardware's values and the BARs' sizes: which bits are
// read-only flags and which address bits a guest may write when it sizes a BAR.
import { HOOK_NAMES } from "../compile/vocabulary.js";
import type { HostDevice } from "../host/host.js";

export interface BarInfo {
  /** BAR number (0..5), or 6 for the Expansion ROM. */
  readonly index: number;
  readonly kind: "io" | "mem32" | "mem64" | "none" | "rom";
  /** Bytes; 0 when the BAR is not implemented. */
  readonly size: number;
  /** The BAR's dword values' indices among the BAR registers (1, or 2 for mem64). */
  readonly dwords: readonly number[];
  /** Per dword: the address bits a write may set. */
  readonly writable: readonly number[];
  /** Per dword: the read-only flag bits (space, type, prefetchable). */
  readonly flags: readonly number[];
}

const lowestSetBit = (x: number): number => (x >>> 0) & -(x >>> 0) ? ((x >>> 0) & -(x >>> 0)) >>> 0 : 0;

/**
 * The size a dump implies when nobody says: the alignment of the programmed
 * address (its lowest set address bit), the largest size consistent with it.
 * An address of 0 means the BAR is not implemented.
 */
export function defaultBarSize(addressLow: number, upper: number): number {
  if (addressLow >>> 0) return lowestSetBit(addressLow);
  if (upper >>> 0) return lowestSetBit(upper) * 2 ** 32;
  return 0;
}

/**
 * Decode the BAR registers' hardware values into BARs. `values[n]` is BAR n's
 * dword (at 0x10 + 4n), undefined where the rules do not treat that dword as a
 * BAR; a 64-bit BAR takes the next dword only when that one is a BAR register too.
 */
export function barsOf(values: readonly (number | undefined)[], sizeOf: (index: number, address: number, upper: number) => number): BarInfo[] {
  const out: BarInfo[] = [];
  for (let i = 0; i < values.length; i++) {
    if (values[i] === undefined) continue;
    const v = values[i]! >>> 0;
    if (v & 1) {
      const size = sizeOf(i, (v & 0xfffffffc) >>> 0, 0);
      const writable = size >= 4 ? (~(size - 1) & 0xfffffffc) >>> 0 : 0;
      out.push({ index: i, kind: size ? "io" : "none", size, dwords: [i], writable: [writable], flags: [size ? 0x3 : 0] });
      continue;
    }
    const is64 = ((v >>> 1) & 3) === 2 && values[i + 1] !== undefined;
    const upper = is64 ? values[i + 1]! >>> 0 : 0;
    const size = sizeOf(i, (v & 0xfffffff0) >>> 0, upper);
    const flags = size ? 0xf : 0;
    const low = size >= 16 && size < 2 ** 32 ? (~(size - 1) & 0xfffffff0) >>> 0 : 0;
    if (!is64) {
      out.push({ index: i, kind: size ? "mem32" : "none", size, dwords: [i], writable: [size >= 2 ** 32 ? 0 : low], flags: [flags] });
      continue;
    }
    const high = !size ? 0 : size > 2 ** 32 ? (~(size / 2 ** 32 - 1)) >>> 0 : 0xffffffff;
    out.push({ index: i, kind: size ? "mem64" : "none", size, dwords: [i, i + 1], writable: [low, high], flags: [flags, 0] });
    i++;
  }
  return out;
}

/**
 * BAR sizing: the `bar` and `rom` hooks mark the address bits; which of them the
 * guest may write follows each BAR's size, a device fact the rules cannot hold.
 */
export function attachBars(
  host: HostDevice,
  hook: Uint8Array,
  virtWrite: Uint32Array,
  shadow: Uint32Array,
  writable: Uint32Array,
  /** Sizes someone gave (options, then device file); undefined falls back to the default. */
  given: { readonly barSizes: readonly (number | undefined)[]; readonly romSize: number | undefined },
): BarInfo[] {
  const barHook = HOOK_NAMES.indexOf("bar") + 1;
  const romHook = HOOK_NAMES.indexOf("rom") + 1;
  // BAR n lives at dword 4 + n (0x10 + 4n) in both header types.
  const values: (number | undefined)[] = [];
  let romDword = -1;
  for (let d = 4; d < 10; d++) if (hook[d] === barHook) values[d - 4] = host.read32(d);
  for (let d = 0; d < 16; d++) if (hook[d] === romHook) romDword = d;
  const sizeOf = (index: number, value: number, upper: number): number =>
    given.barSizes[index] ?? defaultBarSize(value, upper);
  const bars = barsOf(values, sizeOf);
  for (const bar of bars) {
    for (let k = 0; k < bar.dwords.length; k++) {
      const d = 4 + bar.index + k;
      virtWrite[d] = bar.writable[k];
      writable[d] = bar.writable[k];
      shadow[d] = (host.read32(d) & (bar.writable[k] | bar.flags[k])) >>> 0;
    }
  }
  if (romDword >= 0) {
    const value = host.read32(romDword);
    const size = given.romSize ?? defaultBarSize(value & 0xfffff800, 0);
    const addr = size >= 2048 ? ~(size - 1) & 0xfffff800 : 0;
    virtWrite[romDword] = (virtWrite[romDword] & 1) | addr;
    writable[romDword] = (writable[romDword] & 1) | addr;
    shadow[romDword] = (shadow[romDword] & 1) | (value & addr);
    bars.push({ index: 6, kind: "rom", size, dwords: [romDword], writable: [addr >>> 0], flags: [1] });
  }
  return bars;
}
