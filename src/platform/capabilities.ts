// Where a capability sits in an attached function, and the platform's own
// access to state the guest cannot write: the virtual copy (shadow) of
// emulated bits, and the simulated hardware's bits. The platform is trusted;
// these bypass the guest's masks on purpose.
import type { SimulatedDevice } from "../host/simulated.js";
import type { DeviceTables } from "../runtime/attach.js";
import type { VirtualDevice } from "../runtime/virtual-device.js";

/** Offset of a capability the guest can see, by its rule-library name (msi, msix, pm, pcie, aer). */
export function capabilityOffset(tables: DeviceTables, name: string): number | undefined {
  return tables.placed.find((p) => p.visible && p.template.name === name && p.template.kind !== "header")?.offset;
}

/** Offset of a standard capability in raw configuration bytes, by ID, without the runtime. */
export function findCapabilityInBytes(bytes: Uint8Array, id: number): number | undefined {
  let p = bytes[0x34] & 0xfc;
  for (let guard = 0; p >= 0x40 && guard < 48; guard++) {
    if (bytes[p] === id) return p;
    p = bytes[p + 1] & 0xfc;
  }
  return undefined;
}

function place(offset: number, bits: number): [number, number] {
  return [offset >> 2, (bits * 2 ** ((offset & 3) * 8)) >>> 0];
}

/** Set bits of the guest's virtual copy: `bits` is relative to `offset` (any byte offset). */
export function setVirtualBits(device: VirtualDevice, offset: number, bits: number): void {
  const [d, m] = place(offset, bits);
  device.shadow.set(d, (device.shadow.get(d) | m) >>> 0);
}

export function clearVirtualBits(device: VirtualDevice, offset: number, bits: number): void {
  const [d, m] = place(offset, bits);
  device.shadow.set(d, (device.shadow.get(d) & ~m) >>> 0);
}

/** Set bits in the simulated hardware, as the hardware itself would (status, presence, errors). */
export function setHardwareBits(host: SimulatedDevice, offset: number, bits: number): void {
  const [d, m] = place(offset, bits);
  host.words[d] = (host.words[d] | m) >>> 0;
}

export function clearHardwareBits(host: SimulatedDevice, offset: number, bits: number): void {
  const [d, m] = place(offset, bits);
  host.words[d] = (host.words[d] & ~m) >>> 0;
}

/** Read `size` bytes of the simulated hardware directly (the platform's view, not the guest's). */
export function readHardware(host: SimulatedDevice, offset: number, size: 1 | 2 | 4): number {
  const v = host.read32(offset >> 2) >>> ((offset & 3) * 8);
  return size === 4 ? v >>> 0 : v & ((1 << (size * 8)) - 1);
}
