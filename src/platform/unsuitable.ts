// The talk's open issue 1: a device unsuitable for pass-through. Its driver
// hands the device a physical address for something other than DMA, and the
// device dereferences it internally, where no IOMMU translates it: the
// guest-physical address it was given is not the machine address it needs.
//
// What the platform can observe, and so the heuristic: every guest write to a
// device register through a BAR (MMIO or port I/O) passes through it. A value
// written there that lies inside one of the SAME function's mapped guest
// memory BAR windows, while that BAR's guest address differs from its host address, is
// the device being told a guest-physical address of its own memory. A driver
// has no reason to do that except for the device to use it internally (DMA
// to its own BAR would be a peer-to-peer request that the IOMMU does not
// route either). The platform records the function by name and logs it once.
//
// Limits: a value is checked per 4-byte (or 8-byte) write only, so an address
// written in 16-bit halves, written into a DMA descriptor in guest RAM rather
// than a register, or pointing at guest RAM the device then uses internally,
// is not seen; a device that merely stores such a value (a scratch register)
// is reported although it would work. It is a warning, not a refusal.
import type { BarRun } from "./bar-map.js";
import type { PassThroughFunction } from "./passthrough-function.js";

export interface UnsuitableUse {
  readonly fn: string;
  /** Where the guest wrote the address: BAR and offset. */
  readonly bar: number;
  readonly offset: number;
  readonly value: number;
  /** The BAR whose guest window the value falls in. */
  readonly target: number;
}

/**
 * The finding for one register write, if the value is a guest-physical address
 * inside one of the function's own memory BARs as the guest has them mapped now
 * (`runs`: the BAR map's runs for this function) while that BAR's guest address
 * differs from its host address.
 */
export function checkAddressWrite(fn: PassThroughFunction, runs: readonly BarRun[], bar: number, offset: number, size: number, value: number, high = 0): UnsuitableUse | undefined {
  if (size < 4) return undefined;
  const v = high * 2 ** 32 + (value >>> 0);
  if (v === 0) return undefined;
  for (const r of runs) {
    if (r.space !== "mem" || r.fn !== fn || v < r.guestBase || v >= r.guestBase + r.size) continue;
    if (r.guestBase === r.hostBase) continue; // identity-mapped: the device would find its memory
    return { fn: fn.name, bar, offset, value: v, target: r.bar };
  }
  return undefined;
}
