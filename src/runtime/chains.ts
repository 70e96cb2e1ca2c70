// Walk a device's real capability chains, in link order, defensively: a chain
// that loops, points into the header or off the end stops with a note.
import type { HostDevice } from "../host/host.js";

export interface FoundCapability {
  readonly kind: "capability" | "extended";
  readonly id: number;
  readonly offset: number;
  /** Extended capabilities carry a version in their header. */
  readonly version: number;
}

export function readByte(host: HostDevice, offset: number): number {
  return (host.read32(offset >> 2) >>> ((offset & 3) * 8)) & 0xff;
}

/** Standard capabilities (0x40..0xff), from the Capabilities Pointer at 0x34. */
export function walkStandard(host: HostDevice, notes: string[]): FoundCapability[] {
  const found: FoundCapability[] = [];
  const status = (host.read32(1) >>> 16) & 0xffff;
  if ((status & 0x10) === 0) return found;
  let ptr = readByte(host, 0x34) & 0xfc;
  const seen = new Set<number>();
  while (ptr !== 0) {
    if (ptr < 0x40 || ptr > 0xfc) {
      notes.push(`standard capability pointer 0x${ptr.toString(16)} is outside 0x40..0xfc; chain ends`);
      break;
    }
    if (seen.has(ptr)) {
      notes.push(`standard capability chain loops back to 0x${ptr.toString(16)}; chain ends`);
      break;
    }
    seen.add(ptr);
    found.push({ kind: "capability", id: readByte(host, ptr), offset: ptr, version: 0 });
    ptr = readByte(host, ptr + 1) & 0xfc;
  }
  return found;
}

/** Extended capabilities (0x100..0xfff), from the header at 0x100. */
export function walkExtended(host: HostDevice, notes: string[]): FoundCapability[] {
  const found: FoundCapability[] = [];
  if (host.size < 4096) return found;
  let ptr = 0x100;
  const seen = new Set<number>();
  while (ptr !== 0) {
    if (ptr < 0x100 || ptr > 0xffc) {
      notes.push(`extended capability pointer 0x${ptr.toString(16)} is outside 0x100..0xffc; chain ends`);
      break;
    }
    if (seen.has(ptr)) {
      notes.push(`extended capability chain loops back to 0x${ptr.toString(16)}; chain ends`);
      break;
    }
    seen.add(ptr);
    const header = host.read32(ptr >> 2);
    if (header === 0 || header === 0xffffffff) break;
    found.push({ kind: "extended", id: header & 0xffff, offset: ptr, version: (header >>> 16) & 0xf });
    ptr = (header >>> 20) & 0xffc;
  }
  return found;
}
