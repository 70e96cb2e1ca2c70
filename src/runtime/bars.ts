// BAR layout from the hardware's values and the BARs' sizes: which bits are
// read-only flags and which address bits a guest may write when it sizes a BAR.
//
// What the guest reads before it programs anything (and after every reset that
// restores the initial virtual state: FLR, D3hot -> D0, bus reset) is the BAR's
// reset value: address 0 with the size/type flags, never the host's physical
// address. QEMU's vfio-pci does the same: vfio_pci_reset() / realize clear the
// host's BAR and ROM addresses from the emulated config ("Clear host resource
// mapping info", hw/vfio/pci.c), and pci_do_device_reset() (hw/pci/pci.c) sets
// each BAR to its type bits and Interrupt Line to 0.
import { HOOK_NAMES } from "../compile/vocabulary.js";
import type { HostDevice } from "../host/host.js";
import { type BarSizeSource, type GivenSizes, resizableBarSizes, resolveBarSize, type SizeOf } from "./bar-sizes.js";

export type { BarSizeSource, GivenSizes, InputSizes } from "./bar-sizes.js";
export { defaultBarSize, GUESS_CAP, guessBarSize, guessWarnings } from "./bar-sizes.js";

export interface BarInfo {
  /** BAR number (0..5), or 6 for the Expansion ROM. */
  readonly index: number;
  readonly kind: "io" | "mem32" | "mem64" | "none" | "rom";
  /** Bytes; 0 when the BAR is not implemented. */
  readonly size: number;
  /** Where `size` came from. */
  readonly source: BarSizeSource;
  /** The BAR's dword values' indices among the BAR registers (1, or 2 for mem64). */
  readonly dwords: readonly number[];
  /** Per dword: the address bits a write may set. */
  readonly writable: readonly number[];
  /** Per dword: the read-only flag bits (space, type, prefetchable). */
  readonly flags: readonly number[];
}

/**
 * Decode the BAR registers' hardware values into BARs. `values[n]` is BAR n's
 * dword (at 0x10 + 4n), undefined where the rules do not treat that dword as a
 * BAR; a 64-bit BAR takes the next dword only when that one is a BAR register too.
 */
export function barsOf(values: readonly (number | undefined)[], sizeOf: SizeOf): BarInfo[] {
  const out: BarInfo[] = [];
  for (let i = 0; i < values.length; i++) {
    if (values[i] === undefined) continue;
    const v = values[i]! >>> 0;
    if (v & 1) {
      const { size, source } = sizeOf(i, "io", (v & 0xfffffffc) >>> 0, 0);
      const writable = size >= 4 ? (~(size - 1) & 0xfffffffc) >>> 0 : 0;
      out.push({ index: i, kind: size ? "io" : "none", size, source, dwords: [i], writable: [writable], flags: [size ? 0x1 : 0] });
      continue;
    }
    const is64 = ((v >>> 1) & 3) === 2 && values[i + 1] !== undefined;
    const upper = is64 ? values[i + 1]! >>> 0 : 0;
    const { size, source } = sizeOf(i, "mem", (v & 0xfffffff0) >>> 0, upper);
    const flags = size ? v & 0xf : 0;
    const low = size >= 16 && size < 2 ** 32 ? (~(size - 1) & 0xfffffff0) >>> 0 : 0;
    if (!is64) {
      out.push({ index: i, kind: size ? "mem32" : "none", size, source, dwords: [i], writable: [size >= 2 ** 32 ? 0 : low], flags: [flags] });
      continue;
    }
    const high = !size ? 0 : size > 2 ** 32 ? (~(size / 2 ** 32 - 1)) >>> 0 : 0xffffffff;
    out.push({ index: i, kind: size ? "mem64" : "none", size, source, dwords: [i, i + 1], writable: [low, high], flags: [flags, 0] });
    i++;
  }
  return out;
}

/**
 * BAR sizing: the `bar` and `rom` hooks mark the address bits; which of them the
 * guest may write follows each BAR's size, a device fact the rules cannot hold.
 * The initial virtual value is the reset value: flags only, address 0.
 */
export function attachBars(
  host: HostDevice,
  hook: Uint8Array,
  virtWrite: Uint32Array,
  shadow: Uint32Array,
  writable: Uint32Array,
  given: GivenSizes,
): BarInfo[] {
  const barHook = HOOK_NAMES.indexOf("bar") + 1;
  const romHook = HOOK_NAMES.indexOf("rom") + 1;
  // BAR n lives at dword 4 + n (0x10 + 4n) in both header types.
  const values: (number | undefined)[] = [];
  let romDword = -1;
  for (let d = 4; d < 10; d++) if (hook[d] === barHook) values[d - 4] = host.read32(d);
  for (let d = 0; d < 16; d++) if (hook[d] === romHook) romDword = d;
  const sizeOf = resolveBarSize(given, resizableBarSizes(host));
  const bars = barsOf(values, sizeOf);
  for (const bar of bars) {
    for (let k = 0; k < bar.dwords.length; k++) {
      const d = 4 + bar.index + k;
      virtWrite[d] = bar.writable[k];
      writable[d] = bar.writable[k];
      shadow[d] = bar.flags[k];
    }
  }
  if (romDword >= 0) {
    const value = host.read32(romDword);
    const { size, source } = sizeOf(6, "rom", (value & 0xfffff800) >>> 0, 0);
    const addr = size >= 2048 && size < 2 ** 32 ? ~(size - 1) & 0xfffff800 : 0;
    virtWrite[romDword] = (virtWrite[romDword] & 1) | addr;
    writable[romDword] = (writable[romDword] & 1) | addr;
    shadow[romDword] = shadow[romDword] & 1;
    bars.push({ index: 6, kind: "rom", size, source, dwords: [romDword], writable: [addr >>> 0], flags: [0] });
  }
  return bars;
}
